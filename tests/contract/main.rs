//! One contract suite per port, run unchanged against the embedded (redb) adapter and the
//! DynamoDB adapter on the endpoint in `AWS_ENDPOINT_URL` (moto under `make test`).

mod accounts;
mod aws;
mod bookings;
mod cancellation;
mod catalog;
mod identity;
mod inbox;
mod infra;
mod inventory;
mod saga;
mod sales;
mod seat_maps;
mod service;
mod settings;
mod signing_keys;
mod stripe;
mod waiting_rooms;

use stagepass_dynamo::{
    DynamoBookings, DynamoCatalog, DynamoIdentity, DynamoInventory, DynamoSales,
};
use stagepass_embedded::EmbeddedStore;
use std::sync::Arc;

/// One set of adapters per test: a fresh store, never shared.
pub struct Adapters {
    pub catalog: Arc<dyn stagepass_domain::EventCatalog>,
    pub inventory: Arc<dyn stagepass_domain::SeatInventory>,
    pub identity: Arc<dyn stagepass_domain::IdentityStore>,
    pub limiter: Arc<dyn stagepass_domain::RateLimiter>,
    pub bookings: Arc<dyn stagepass_domain::BookingStore>,
    pub keys: Arc<dyn stagepass_domain::IdempotencyStore>,
    /// The simulated payment provider's ledger.
    pub ledger: Arc<dyn stagepass_domain::bookings::payments::PaymentLedger>,
    /// The sales subscriber's tallies.
    pub sales: Arc<dyn stagepass_domain::SalesLedger>,
    /// Seat map snapshots.
    pub maps: Arc<dyn stagepass_domain::catalog::seat_map::MapSnapshots>,
    /// Waiting rooms.
    pub rooms: Arc<dyn stagepass_domain::queue::WaitingRooms>,
    /// Fans a crowd test sends at once (moto serialises every item operation: fewer there).
    pub crowd: usize,
    _dir: Option<tempfile::TempDir>,
}

pub async fn embedded() -> Adapters {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(EmbeddedStore::open(dir.path()).expect("store opens"));
    Adapters {
        catalog: store.clone(),
        inventory: store.clone(),
        identity: store.clone(),
        limiter: store.clone(),
        bookings: store.clone(),
        keys: store.clone(),
        ledger: store.clone(),
        sales: store.clone(),
        maps: store.clone(),
        rooms: store,
        crowd: 10_000,
        _dir: Some(dir),
    }
}

pub async fn dynamo() -> Adapters {
    let (client, events, inventory) = stagepass_tests::aws::tables().await;
    let identity = format!("identity-{}", uuid::Uuid::new_v4().simple());
    stagepass_tests::aws::create_table(&client, "IdentityTable", &identity).await;
    let identity = Arc::new(DynamoIdentity::new(client.clone(), identity));
    let bookings = format!("bookings-{}", uuid::Uuid::new_v4().simple());
    stagepass_tests::aws::create_table(&client, "BookingsTable", &bookings).await;
    let outbox = Some(bookings.clone());
    let sales = format!("sales-{}", uuid::Uuid::new_v4().simple());
    stagepass_tests::aws::create_table(&client, "SalesTable", &sales).await;
    let sales = Arc::new(DynamoSales::new(client.clone(), sales));
    let bookings = Arc::new(
        DynamoBookings::new(client.clone(), bookings).with_events_table(Some(events.clone())),
    );
    Adapters {
        bookings: bookings.clone(),
        keys: bookings.clone(),
        ledger: bookings,
        sales,
        catalog: Arc::new(DynamoCatalog::new(client.clone(), events).with_outbox(outbox.clone())),
        maps: Arc::new(stagepass_dynamo::DynamoMapSnapshots::new(
            client.clone(),
            inventory.clone(),
        )),
        rooms: Arc::new(stagepass_dynamo::DynamoWaitingRooms::new(
            client.clone(),
            inventory.clone(),
        )),
        crowd: 2_000,
        inventory: Arc::new(DynamoInventory::new(client, inventory).with_outbox(outbox)),
        identity: identity.clone(),
        limiter: identity,
        _dir: None,
    }
}

/// Declares every case of a suite once per adapter: `embedded::case` and `dynamo::case`.
macro_rules! contract {
    ($suite:ident: $($case:ident),+ $(,)?) => {
        mod $suite {
            pub mod embedded {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $case() {
                        crate::$suite::$case(crate::embedded().await).await;
                    }
                )+
            }
            pub mod dynamo {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $case() {
                        crate::$suite::$case(crate::dynamo().await).await;
                    }
                )+
            }
        }
    };
}

mod contract_catalog {
    contract!(catalog:
        insert_then_get_round_trips,
        insert_refuses_an_existing_id,
        replace_needs_the_expected_version,
        only_published_events_are_listed_in_start_order,
        listing_filters_by_city_category_and_window,
        listing_stops_at_the_limit,
    );
}

mod contract_inventory {
    contract!(inventory:
        parallel_holds_of_one_holder_never_pass_the_limit,
        released_checked_out_and_expired_holds_stop_counting,
        a_placed_hold_can_be_found_and_its_units_are_live,
        a_conflict_names_every_taken_unit_and_writes_nothing,
        an_expired_hold_blocks_nobody,
        a_second_hold_with_the_same_id_returns_the_stored_one,
        release_frees_units_once,
        release_after_expiry_leaves_the_new_holders_units,
        blocks_do_not_leak_into_each_other,
        concurrent_holds_never_share_a_unit,
        hold_events_are_written_with_the_hold_and_only_then,
        a_hold_expiry_is_recorded_once_by_whoever_sees_it_first,
        a_hold_of_places_under_many_keys_is_all_or_nothing,
    );
}

mod contract_waiting_rooms {
    contract!(waiting_rooms:
        one_entry_per_fan_and_its_key_in_order,
        one_admitter_at_a_time,
        ten_thousand_fans_are_admitted_in_order_once_each,
        positions_and_waits_follow_the_queue,
        a_hold_needs_an_admission_while_the_room_guards,
    );
}

mod contract_seat_maps {
    contract!(seat_maps:
        a_map_is_served_from_its_snapshot_for_its_age_then_rebuilt,
        one_viewer_at_a_time_may_rebuild,
        an_older_snapshot_never_replaces_a_newer_one,
        the_largest_map_round_trips_the_store,
        with_no_age_allowed_every_view_is_fresh,
    );
}

mod contract_sales {
    contract!(sales:
        a_booking_event_is_counted_once_and_a_cancellation_refunds_it,
        concurrent_and_repeated_deliveries_count_each_fact_once,
    );
}

mod contract_identity {
    contract!(identity:
        accounts_are_unique_by_normalised_email,
        a_refresh_token_works_once_and_reuse_revokes_the_family,
        unknown_expired_and_revoked_tokens_are_refused,
        concurrent_refreshes_with_one_token_succeed_once,
        rate_windows_count_to_their_limit_and_take_uses_back,
        concurrent_attempts_never_pass_a_rate_limit,
    );
}

mod contract_accounts {
    contract!(accounts:
        register_login_refresh_reuse_and_logout,
        the_sixth_wrong_password_from_one_address_is_rate_limited,
        many_addresses_cannot_lock_the_owner_out,
        a_refresh_carries_the_roles_the_account_has_now,
        a_session_ends_ninety_days_after_login,
        guests_and_staff_accounts,
    );
}

mod contract_inbox {
    contract!(inbox:
        a_verification_link_proves_the_email_and_nothing_else,
        verification_mail_is_limited_per_account,
        a_reset_link_works_once_and_ends_every_session,
        a_reset_link_from_before_a_password_change_is_dead,
        a_reset_for_an_unknown_email_says_so_only_by_mail_and_is_limited,
        a_guest_link_opens_the_bookings_until_revoked_or_after_the_event,
        links_are_spent_once_under_concurrency,
        verification_and_password_changes_touch_only_their_account,
    );
}

mod contract_cancellation {
    contract!(cancellation: an_event_with_5000_bookings_is_cancelled_a_page_at_a_time);
}

mod contract_service {
    contract!(service:
        concurrent_buyers_through_the_service_never_share_a_seat,
        general_admission_is_never_oversold,
        a_key_used_again_after_it_expired_holds_anew,
        buyers_are_limited_per_minute,
        a_hold_on_a_draft_finds_no_event,
    );
}

mod contract_bookings {
    contract!(bookings:
        a_booking_is_stored_once_and_read_back,
        an_update_needs_the_expected_version_and_writes_its_events_with_it,
        buyers_see_their_bookings_newest_first_and_events_list_theirs,
        the_outbox_keeps_events_until_delivered_and_once_per_id,
        the_sweeper_publishes_what_the_relay_left_once_it_is_old_enough,
        concurrent_claims_of_one_key_start_once,
        a_key_replays_refuses_another_request_and_expires,
        a_stale_claim_is_taken_over_and_an_abandoned_one_is_free,
        only_the_attempt_holding_a_key_saves_its_answer,
        checkout_sell_and_free_follow_the_hold,
        a_checked_out_hold_keeps_its_seats_until_the_saga_deadline,
        only_bookings_in_motion_are_unsettled_oldest_change_first_in_pages,
        a_late_sale_takes_free_seats_but_never_another_live_hold,
    );
}

mod contract_saga {
    contract!(saga:
        the_saga_runs_over_these_adapters_from_checkout_to_confirmed,
        a_ticket_keeps_its_printed_qr_and_scans_after_two_ticket_key_rotations,
        door_staff_check_in_only_the_events_they_are_assigned_to,
        a_charge_landing_after_the_refund_takes_no_money,
        charge_and_refund_in_different_containers_see_one_ledger,
        a_booking_charged_before_its_event_is_cancelled_is_refunded_not_confirmed,
        a_confirmation_racing_the_event_cancellation_is_refused_in_its_own_write,
        a_checked_out_buyer_keeps_the_seat_while_the_saga_runs,
        a_saga_past_its_deadline_refunds_if_the_seat_was_taken,
        a_cancellation_cut_short_leaves_no_valid_ticket_for_a_seat_on_sale,
        lambda_failures_are_retried_not_compensated,
        declines_succeed_as_executions_and_the_happy_path_is_five_transitions,
        a_compensation_that_keeps_failing_ends_in_needs_attention,
        a_checkout_that_died_before_its_saga_is_finished_by_the_sweeper,
        a_booking_pending_past_any_saga_is_marked_needs_attention,
    );
}
