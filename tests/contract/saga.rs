//! The booking use cases, the saga's step functions and the real ASL over the adapters under
//! test: checkout, then the saga confirms with tickets or compensates, whatever races it.

use crate::Adapters;
use async_trait::async_trait;
use chrono::Duration;
use serde_json::json;
use stagepass_domain::bookings::payments::{SimulatedPayments, cards};
use stagepass_domain::bookings::sweep::{STUCK_AFTER, SweepBookings, SweepReport};
use stagepass_domain::bookings::{Buyer, CancelBooking, Checkout, Settlement};
use stagepass_domain::catalog::{CancelEvent, CancelEventBookings};
use stagepass_domain::{
    Actor, Booking, BookingId, BookingStatus, BookingStore, BookingStoreError, BuyerRate, Clock,
    Event, EventId, HoldRequest, IntegrationEvent, ManualClock, PaymentError, PaymentMethod,
    PaymentOrder, PaymentProvider, TicketStatus, UnitState, UserId,
};
use stagepass_local::asl::{
    Execution, Outcome, StateMachine, TaskError, TaskFailure, TaskFuture, TaskRunner,
};
use stagepass_local::saga::{Steps, invoke, resource_of, wire_steps};
use stagepass_tests::Service;
use stagepass_tests::saga::{QueuedCancellations, StartedSagas};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;

/// The saga's tasks with faults injected by resource: (error, calls left to fail).
struct Faulty<'a> {
    tasks: &'a stagepass_tests::saga::Steps,
    faults: Mutex<HashMap<String, (String, u32)>>,
}

impl TaskRunner for Faulty<'_> {
    fn run<'a>(&'a self, resource: &'a str, input: serde_json::Value) -> TaskFuture<'a> {
        let injected = match self.faults.lock().unwrap().get_mut(resource) {
            Some((error, left)) if *left > 0 => {
                *left = left.saturating_sub(u32::from(*left != u32::MAX));
                Some(error.clone())
            }
            _ => None,
        };
        match injected {
            Some(error) => Box::pin(async move {
                Err(TaskFailure::Error(TaskError {
                    cause: json!({"errorType": error, "errorMessage": "injected"}).to_string(),
                    error,
                }))
            }),
            None => self.tasks.run(resource, input),
        }
    }
}

/// The simulated provider behind a door that can hold one charge call: the test of a charge
/// and a refund interleaving needs a charge step in flight while the refund runs.
struct Gated {
    inner: Arc<SimulatedPayments>,
    armed: std::sync::atomic::AtomicBool,
    /// Told when a held charge call arrives.
    entered: tokio::sync::Notify,
    /// Lets the held call on to the provider.
    release: tokio::sync::Notify,
}

#[async_trait]
impl PaymentProvider for Gated {
    async fn charge(
        &self,
        order: &PaymentOrder,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError> {
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.entered.notify_one();
            self.release.notified().await;
        }
        self.inner.charge(order, method).await
    }

    async fn refund(&self, order: &PaymentOrder) -> Result<Option<String>, PaymentError> {
        self.inner.refund(order).await
    }
}

/// One published event (one row of four seats) and everything a saga over `a` needs.
struct Rig {
    a: Adapters,
    payments: Arc<SimulatedPayments>,
    gate: Arc<Gated>,
    clock: Arc<ManualClock>,
    started: Arc<StartedSagas>,
    cancellations: Arc<QueuedCancellations>,
    /// By function name, to run one at a time.
    steps: Steps,
    /// By the ASL's resource names, for the state machine.
    tasks: stagepass_tests::saga::Steps,
    machine: StateMachine,
    service: Service,
    checkout: Checkout,
    organiser: Actor,
    event: Event,
    _files: tempfile::TempDir,
}

impl Rig {
    async fn new(a: Adapters) -> Self {
        let files = tempfile::tempdir().unwrap();
        let payments = Arc::new(SimulatedPayments::new(a.ledger.clone()));
        let gate = Arc::new(Gated {
            inner: payments.clone(),
            armed: Default::default(),
            entered: Default::default(),
            release: Default::default(),
        });
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        // The step functions of `functions/`, wired with the adapters under test.
        let mut ports = stagepass_api::Ports::new(clock.clone());
        ports.catalog = Some(a.catalog.clone());
        ports.inventory = Some(a.inventory.clone());
        ports.bookings = Some(a.bookings.clone());
        ports.payments = Some(gate.clone());
        ports.files = Some(Arc::new(stagepass_local::adapters::FolderFiles::new(
            files.path(),
        )));
        ports.keys = Some(stagepass_tests::keys());
        let steps = wire_steps(&ports).await.expect("the steps wire");
        let tasks = stagepass_tests::saga::Steps::wire(&ports).await;
        let started = Arc::new(StartedSagas::default());
        let checkout = Checkout {
            admissions: None,
            catalog: a.catalog.clone(),
            inventory: a.inventory.clone(),
            bookings: a.bookings.clone(),
            workflow: started.clone(),
            clock: clock.clone(),
            rate: BuyerRate::new(a.limiter.clone(), clock.clone(), "checkouts", 10),
        };
        let service = stagepass_tests::service(
            a.catalog.clone(),
            a.inventory.clone(),
            a.limiter.clone(),
            clock.clone(),
        );
        let organiser = Actor {
            user: UserId::new("org"),
            admin: false,
        };
        let draft = serde_json::from_value(stagepass_tests::event_body(
            "Derby",
            "concert",
            stagepass_tests::in_days(9),
            1,
            4,
            0,
        ))
        .unwrap();
        let event = service.create_event(&organiser, draft).await.unwrap();
        let event = service.publish_event(&organiser, &event.id).await.unwrap();
        Self {
            a,
            payments,
            gate,
            clock,
            started,
            cancellations: Arc::default(),
            steps,
            tasks,
            machine: StateMachine::parse(stagepass_local::saga::SAGA_ASL).unwrap(),
            service,
            checkout,
            organiser,
            event,
            _files: files,
        }
    }

    /// `buyer` holds `seat` and checks out with a card that pays: the pending booking.
    async fn pending(&self, buyer: &str, seat: &str) -> Booking {
        self.pending_with(buyer, seat, cards::SUCCESS).await
    }

    async fn pending_with(&self, buyer: &str, seat: &str, card: &str) -> Booking {
        let hold = self.hold(buyer, seat).await.expect("the seat is free");
        let out = self
            .checkout
            .checkout(
                &Buyer {
                    user: UserId::new(buyer),
                    email: format!("{buyer}@x.example"),
                },
                &hold,
                PaymentMethod::parse(card).unwrap(),
            )
            .await
            .unwrap();
        assert!(out.created);
        out.booking
    }

    async fn hold(&self, buyer: &str, seat: &str) -> Result<stagepass_domain::HoldId, String> {
        let request = HoldRequest {
            seats: vec![seat.to_string()],
            ga: vec![],
        };
        self.service
            .hold(&UserId::new(buyer), &self.event.id, &request, None)
            .await
            .map(|o| o.hold.id)
            .map_err(|e| format!("{e:?}"))
    }

    /// Runs one step function, as its Task would.
    async fn step(&self, name: &str, booking: &BookingId) -> Result<(), String> {
        invoke(self.steps[name].as_ref(), json!({"booking_id": booking}))
            .await
            .map(|_| ())
            .map_err(|e| e.error)
    }

    /// Runs the whole saga: `true` if it confirmed, `false` if it compensated. Either way the
    /// execution itself succeeds: a compensated booking is a business outcome.
    async fn run(&self, booking: &BookingId) -> bool {
        let run = self.execute(booking, &[]).await;
        assert!(
            matches!(run.outcome, Outcome::Succeeded(_)),
            "the execution failed: {run:?}"
        );
        match self.booking(booking).await.status {
            BookingStatus::Confirmed => true,
            BookingStatus::Failed => false,
            other => panic!("the saga left the booking {other:?}"),
        }
    }

    /// Runs the whole saga with `faults`: (step function, error it fails with, how many
    /// times; `u32::MAX` for every time).
    async fn execute(&self, booking: &BookingId, faults: &[(&str, &str, u32)]) -> Execution {
        let faulty = Faulty {
            tasks: &self.tasks,
            faults: Mutex::new(
                faults
                    .iter()
                    .map(|(step, error, n)| (resource_of(step), (error.to_string(), *n)))
                    .collect(),
            ),
        };
        self.machine
            .execute(json!({"booking_id": booking}), &faulty, 0.0)
            .await
    }

    async fn booking(&self, id: &BookingId) -> Booking {
        self.a.bookings.get(id).await.unwrap().unwrap()
    }

    /// The unit's live record now: (state, holder), or `None` if it is free.
    async fn seat(&self, seat: &str) -> Option<(UnitState, stagepass_domain::HoldId)> {
        let live = self
            .a
            .inventory
            .live_units(
                &self.event.id,
                &[stagepass_domain::Block::section("A")],
                self.clock.now(),
            )
            .await
            .unwrap();
        live.into_iter()
            .find(|r| r.unit.as_str() == seat)
            .map(|r| (r.state, r.hold_id))
    }

    fn settlement(&self) -> Settlement {
        Settlement {
            inventory: self.a.inventory.clone(),
            bookings: self.a.bookings.clone(),
            payments: self.payments.clone(),
            clock: self.clock.clone(),
        }
    }

    fn cancel_event(&self) -> CancelEvent {
        CancelEvent {
            catalog: self.a.catalog.clone(),
            queue: self.cancellations.clone(),
            clock: self.clock.clone(),
        }
    }

    /// The organiser cancels the event, and the worker gets through its bookings.
    async fn cancel_event_and_its_bookings(&self) -> Event {
        self.cancel_event()
            .cancel_event(&self.organiser, &self.event.id)
            .await
            .unwrap();
        let worker = CancelEventBookings {
            catalog: self.a.catalog.clone(),
            settlement: self.settlement(),
            queue: self.cancellations.clone(),
        };
        while let Some(id) = self.cancellations.pop() {
            worker.next_page(&id).await.unwrap();
        }
        self.a.catalog.get(&self.event.id).await.unwrap().unwrap()
    }

    /// One pass of the booking sweeper; sagas it starts land in `started`.
    async fn sweep(&self) -> SweepReport {
        SweepBookings {
            workflow: self.started.clone(),
            settlement: self.settlement(),
        }
        .sweep()
        .await
        .unwrap()
    }

    /// The event's record cancelled, and nothing else: as a cancellation that lands between
    /// two steps of a saga, before anybody has told its booking.
    async fn cancel_event_record_only(&self, id: &EventId) {
        let current = self.a.catalog.get(id).await.unwrap().unwrap();
        let next = current.cancelled(self.clock.now()).unwrap();
        self.a
            .catalog
            .replace(&next, current.version, &[])
            .await
            .unwrap();
    }

    /// A failed booking kept no money and holds no seat.
    async fn assert_compensated(&self, id: &BookingId, seat: &str, reason: &str) {
        let b = self.booking(id).await;
        assert_eq!(b.status, BookingStatus::Failed, "{b:?}");
        assert_eq!(b.reason.as_deref(), Some(reason));
        assert_eq!(self.payments.net(id.as_str()).await, 0, "nothing kept");
        assert_eq!(self.seat(seat).await, None, "{seat} is free again");
    }
}

/// The charge step loaded the booking (not charged yet) and its call to the provider is slow;
/// meanwhile the saga's compensation refunds the booking, finding nothing charged. Before,
/// the late charge then took the money and nobody ever refunded it: the refund now closes
/// the order at the provider, so the late charge is refused.
pub async fn a_charge_landing_after_the_refund_takes_no_money(a: Adapters) {
    let rig = Rig::new(a).await;
    let b = rig.pending("ann", "A-1-1").await;
    rig.gate
        .armed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let charge = rig.step("charge-payment", &b.id);
    let refund_meanwhile = async {
        rig.gate.entered.notified().await;
        let refunded = rig.step("refund-payment", &b.id).await;
        rig.gate.release.notify_one();
        refunded
    };
    let (charged, refunded) = tokio::join!(charge, refund_meanwhile);
    refunded.unwrap();
    assert_eq!(charged, Err("PaymentDeclined".to_string()));
    assert_eq!(rig.payments.net(b.id.as_str()).await, 0, "no money kept");
    assert_eq!(rig.payments.totals().await.charges, 0);
    // The saga goes on compensating: the booking fails, nothing kept, the seat free.
    rig.step("release-seats", &b.id).await.unwrap();
    rig.step("fail-booking", &b.id).await.unwrap();
    let failed = rig.booking(&b.id).await;
    assert_eq!(failed.status, BookingStatus::Failed, "{failed:?}");
    assert_eq!(rig.seat("A-1-1").await, None);

    // Charge and refund of many orders racing freely: every order ends with nothing kept.
    let orders: Vec<PaymentOrder> = (0..40)
        .map(|i| PaymentOrder {
            key: format!("race-{i}-{}", b.id),
            amount: 100,
            currency: "GBP".into(),
            charge_id: None,
        })
        .collect();
    let method = PaymentMethod::parse(cards::SUCCESS).unwrap();
    let mut tasks = Vec::new();
    for order in orders.clone() {
        let (p, m, o) = (rig.payments.clone(), method.clone(), order.clone());
        tasks.push(tokio::spawn(async move { p.charge(&o, &m).await.ok() }));
        let p = rig.payments.clone();
        tasks.push(tokio::spawn(async move { p.refund(&order).await.unwrap() }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for order in &orders {
        assert_eq!(rig.payments.net(&order.key).await, 0, "{}", order.key);
    }
}

/// One order charged through one provider instance and refunded through another (two
/// functions' containers) over the same store: one ledger. Before, each container kept its
/// own, so the refund found nothing to refund.
pub async fn charge_and_refund_in_different_containers_see_one_ledger(a: Adapters) {
    let charging = SimulatedPayments::new(a.ledger.clone());
    let refunding = SimulatedPayments::new(a.ledger.clone());
    let order = PaymentOrder {
        key: BookingId::for_hold(&stagepass_domain::HoldId::generate()).to_string(),
        amount: 4500,
        currency: "GBP".into(),
        charge_id: None,
    };
    let method = PaymentMethod::parse(cards::TIMEOUT).unwrap();
    // The first attempt charges but times out; the retry elsewhere finds that charge.
    assert_eq!(
        charging.charge(&order, &method).await,
        Err(PaymentError::Timeout)
    );
    let charge = refunding.charge(&order, &method).await.unwrap();
    assert_eq!(charging.charge(&order, &method).await, Ok(charge));
    let refund = refunding.refund(&order).await.unwrap();
    assert!(refund.is_some());
    assert_eq!(
        charging.refund(&order).await.unwrap(),
        refund,
        "refunded once"
    );
    assert_eq!(charging.net(&order.key).await, 0);
    // Twenty containers charging one order at once take its money once.
    let order = PaymentOrder {
        key: format!("{}-rush", order.key),
        ..order
    };
    let method = PaymentMethod::parse(cards::SUCCESS).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (p, order, m) = (
            SimulatedPayments::new(a.ledger.clone()),
            order.clone(),
            method.clone(),
        );
        tasks.push(tokio::spawn(
            async move { p.charge(&order, &m).await.unwrap() },
        ));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 1, "one charge: {ids:?}");
    assert_eq!(charging.net(&order.key).await, 4500);
}

pub async fn the_saga_runs_over_these_adapters_from_checkout_to_confirmed(a: Adapters) {
    let rig = Rig::new(a).await;
    let ann = rig.pending("ann", "A-1-1").await;
    assert_eq!(rig.started.0.lock().unwrap().clone(), vec![ann.id.clone()]);
    assert!(rig.run(&ann.id).await);
    let done = rig.booking(&ann.id).await;
    assert_eq!(done.status, BookingStatus::Confirmed);
    assert_eq!(done.tickets.len(), 1);
    assert_eq!(rig.payments.net(ann.id.as_str()).await, 4500);
    let events = rig.a.bookings.undelivered(10).await.unwrap();
    // Besides the publication's and the hold's own events: the booking's, in its order.
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| !matches!(*k, "EventPublished" | "SeatsHeld"))
        .collect();
    assert_eq!(kinds, ["BookingConfirmed", "TicketIssued"]);
    assert!(matches!(
        rig.seat("A-1-1").await,
        Some((UnitState::Sold, _))
    ));
}

/// The ticket keeps the QR it was printed with (the stored booking round-trips it), and it
/// scans after two rotations of the ticket keys: retired ticket keys stay until the events
/// they signed for are over.
pub async fn a_ticket_keeps_its_printed_qr_and_scans_after_two_ticket_key_rotations(a: Adapters) {
    use stagepass_api::{KeyUse, Keyring, Verifier};
    let rig = Rig::new(a).await;
    let ann = rig.pending("ann", "A-1-1").await;
    assert!(rig.run(&ann.id).await);
    let done = rig.booking(&ann.id).await;
    let qr = done.tickets[0]
        .qr
        .clone()
        .expect("the QR is stored with the ticket");
    let now = chrono::Utc::now();
    let twice = stagepass_tests::test_ticket_keys()
        .rotated(KeyUse::Tickets, now, std::time::Duration::ZERO)
        .and_then(|once| {
            once.rotated(
                KeyUse::Tickets,
                now + chrono::Duration::days(60),
                std::time::Duration::ZERO,
            )
        })
        .unwrap();
    let check_in = stagepass_domain::checkin::CheckIn {
        catalog: rig.a.catalog.clone(),
        bookings: rig.a.bookings.clone(),
        verifier: Arc::new(Keyring::fixed(Verifier::of_key_set(&twice).unwrap())),
        clock: rig.clock.clone(),
    };
    let admin = Actor {
        user: UserId::new("admin"),
        admin: true,
    };
    let (_, ticket) = check_in.check_in(&admin, &qr, "North").await.unwrap();
    assert_eq!(ticket, done.tickets[0].id);
}

/// Door staff check in only the events their organiser assigned them to; admins any. Eight
/// assignments at once all land (each tries again from a fresh read when another wrote
/// first), and a refused scan leaves the ticket unused.
pub async fn door_staff_check_in_only_the_events_they_are_assigned_to(a: Adapters) {
    use stagepass_api::{Keyring, Verifier};
    use stagepass_domain::catalog::{AssignDoorStaff, DoorStaffError, RemoveDoorStaff};
    use stagepass_domain::checkin::CheckIn;
    use stagepass_domain::{Account, CheckInError, Email, Role};
    let rig = Rig::new(a).await;
    let ann = rig.pending("ann", "A-1-1").await;
    assert!(rig.run(&ann.id).await);
    let qr = rig.booking(&ann.id).await.tickets[0].qr.clone().unwrap();
    let account = |n: usize, role: Role| Account {
        id: UserId::new(format!("door-{n}")),
        email: Email::parse(&format!("door-{n}@x.example")).unwrap(),
        password_hash: "not used here".into(),
        roles: vec![role],
        created_at: chrono::Utc::now(),
        email_verified_at: None,
        password_changed_at: None,
        password_changes: 0,
    };
    for n in 0..8 {
        rig.a
            .identity
            .create_account(&account(n, Role::Door))
            .await
            .unwrap();
    }
    rig.a
        .identity
        .create_account(&account(8, Role::Fan))
        .await
        .unwrap();
    let door = |n: usize| Actor {
        user: UserId::new(format!("door-{n}")),
        admin: false,
    };
    let check_in = CheckIn {
        catalog: rig.a.catalog.clone(),
        bookings: rig.a.bookings.clone(),
        verifier: Arc::new(Keyring::fixed(
            Verifier::of_key_set(stagepass_tests::test_ticket_keys()).unwrap(),
        )),
        clock: rig.clock.clone(),
    };
    let assign = AssignDoorStaff {
        catalog: rig.a.catalog.clone(),
        identity: rig.a.identity.clone(),
        clock: rig.clock.clone(),
    };
    let remove = RemoveDoorStaff {
        catalog: rig.a.catalog.clone(),
        clock: rig.clock.clone(),
    };
    let id = &rig.event.id;

    assert_eq!(
        check_in.check_in(&door(0), &qr, "North").await.unwrap_err(),
        CheckInError::NotAssignedToEvent
    );
    let ticket = &rig.booking(&ann.id).await.tickets[0];
    assert_eq!(ticket.checked_in, None, "a refused scan leaves the ticket");

    let someone_else = Actor {
        user: UserId::new("other-org"),
        admin: false,
    };
    for (who, email, refused) in [
        (
            &someone_else,
            "door-0@x.example",
            DoorStaffError::EventNotFound(id.to_string()),
        ),
        (
            &rig.organiser,
            "door-8@x.example",
            DoorStaffError::DoorAccountNotFound,
        ),
        (
            &rig.organiser,
            "nobody@x.example",
            DoorStaffError::DoorAccountNotFound,
        ),
        (&rig.organiser, "door 0", DoorStaffError::InvalidEmail),
    ] {
        assert_eq!(
            assign.assign(who, id, email).await.unwrap_err(),
            refused,
            "{email}"
        );
    }
    // Eight at once, the emails as typed (any case).
    let assign = Arc::new(assign);
    let mut assigning = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (assign, organiser, id) = (assign.clone(), rig.organiser.clone(), id.clone());
        assigning.spawn(async move {
            assign
                .assign(&organiser, &id, &format!("DOOR-{n}@x.example"))
                .await
        });
    }
    let assigned = assigning.join_all().await;
    assert!(assigned.iter().all(Result::is_ok), "{assigned:?}");
    let event = assign
        .assign(&rig.organiser, id, "door-0@x.example")
        .await
        .unwrap();
    let mut staff: Vec<&str> = event.door_staff.iter().map(|d| d.user.as_str()).collect();
    staff.sort_unstable();
    assert_eq!(
        staff,
        (0..8).map(|n| format!("door-{n}")).collect::<Vec<_>>()
    );
    assert_eq!(
        event.door_staff[0].email,
        event.door_staff[0].email.to_lowercase()
    );

    let (_, used) = check_in.check_in(&door(0), &qr, "North").await.unwrap();
    assert_eq!(used, ticket.id);
    let event = remove
        .remove(&rig.organiser, id, &door(0).user)
        .await
        .unwrap();
    assert_eq!(event.door_staff.len(), 7);
    assert_eq!(
        remove
            .remove(&someone_else, id, &door(1).user)
            .await
            .unwrap_err(),
        DoorStaffError::EventNotFound(id.to_string())
    );
    // Scope is checked before the ticket: door 0 is off the event, door 1 and an admin are
    // told the ticket was used.
    assert_eq!(
        check_in.check_in(&door(0), &qr, "South").await.unwrap_err(),
        CheckInError::NotAssignedToEvent
    );
    for who in [
        door(1),
        Actor {
            user: UserId::new("admin"),
            admin: true,
        },
    ] {
        assert!(matches!(
            check_in.check_in(&who, &qr, "South").await.unwrap_err(),
            CheckInError::TicketAlreadyUsed { .. }
        ));
    }
}

/// The organiser cancels after the charge: the next step refuses, the money goes back and
/// the seat is freed. Before, the charged saga went on to confirm, ticket and email.
pub async fn a_booking_charged_before_its_event_is_cancelled_is_refunded_not_confirmed(
    a: Adapters,
) {
    let rig = Rig::new(a).await;
    let bob = rig.pending("bob", "A-1-2").await;
    rig.step("charge-payment", &bob.id).await.unwrap();
    assert_eq!(rig.payments.net(bob.id.as_str()).await, 4500);
    let event = rig.cancel_event_and_its_bookings().await;
    let progress = event.cancellation.unwrap();
    assert_eq!((progress.bookings, progress.stopped), (1, 1));
    let marked = rig.booking(&bob.id).await;
    assert_eq!(marked.cancel_requested.as_deref(), Some("event_cancelled"));
    assert!(!rig.run(&bob.id).await, "the saga compensates");
    rig.assert_compensated(&bob.id, "A-1-2", "event_cancelled")
        .await;
    assert_eq!(rig.payments.totals().await.refunds, 1);
}

/// The cancellation lands between the tickets and the confirmation, and nobody has told the
/// booking: the confirmation itself checks the event in its write, and refuses.
pub async fn a_confirmation_racing_the_event_cancellation_is_refused_in_its_own_write(a: Adapters) {
    let rig = Rig::new(a).await;
    let cy = rig.pending("cy", "A-1-3").await;
    for step in ["charge-payment", "sell-seats", "issue-tickets"] {
        rig.step(step, &cy.id).await.unwrap();
    }
    rig.cancel_event_record_only(&rig.event.id).await;
    assert_eq!(
        rig.step("confirm-booking", &cy.id).await,
        Err("EventCancelled".to_string())
    );
    let b = rig.booking(&cy.id).await;
    assert_eq!(b.status, BookingStatus::Pending, "nothing was written");
    let outbox = rig.a.bookings.undelivered(10).await.unwrap();
    assert!(
        outbox
            .iter()
            .all(|e| e.kind == "EventPublished" || e.kind == "SeatsHeld"),
        "nothing but the publication's and the hold's events: {outbox:?}"
    );
    assert!(!rig.run(&cy.id).await);
    rig.assert_compensated(&cy.id, "A-1-3", "event_cancelled")
        .await;
}

/// A buyer accepted at checkout keeps the seat while the saga runs, even past the hold's
/// expiry. Before, anyone could take it then, and the paying buyer was refunded.
pub async fn a_checked_out_buyer_keeps_the_seat_while_the_saga_runs(a: Adapters) {
    let rig = Rig::new(a).await;
    let bob = rig.pending("bob", "A-1-2").await;
    rig.clock.advance(Duration::minutes(11));
    assert!(rig.hold("cy", "A-1-2").await.unwrap_err().contains("A-1-2"));
    assert!(rig.run(&bob.id).await, "the saga confirms");
    assert_eq!(rig.payments.net(bob.id.as_str()).await, 4500);
    assert!(matches!(rig.seat("A-1-2").await, Some((UnitState::Sold, h)) if h == bob.hold_id));
}

/// Past the saga's deadline the seat is anyone's again; a saga that only gets to it then finds
/// it taken and refunds, and the new holder keeps it.
pub async fn a_saga_past_its_deadline_refunds_if_the_seat_was_taken(a: Adapters) {
    let rig = Rig::new(a).await;
    let bob = rig.pending("bob", "A-1-2").await;
    rig.clock
        .advance(stagepass_domain::bookings::checkout::SEATS_KEPT_FOR_SAGA + Duration::seconds(1));
    let cy = rig.hold("cy", "A-1-2").await.unwrap();
    assert!(!rig.run(&bob.id).await);
    let b = rig.booking(&bob.id).await;
    assert_eq!(b.status, BookingStatus::Failed);
    assert_eq!(b.reason.as_deref(), Some("seats_taken"));
    assert_eq!(rig.payments.net(bob.id.as_str()).await, 0);
    assert_eq!(rig.payments.totals().await.refunds, 1);
    assert!(matches!(rig.seat("A-1-2").await, Some((UnitState::Held, h)) if h == cy));
}

/// The bookings store with one fault: the write that would mark a booking `cancelled` fails
/// (the process dies just before it, as far as the store can tell).
struct CancelledWriteFails(Arc<dyn BookingStore>);

#[async_trait]
impl BookingStore for CancelledWriteFails {
    async fn create(&self, b: &Booking) -> Result<(), BookingStoreError> {
        self.0.create(b).await
    }
    async fn get(&self, id: &BookingId) -> Result<Option<Booking>, BookingStoreError> {
        self.0.get(id).await
    }
    async fn update(
        &self,
        b: &Booking,
        version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError> {
        if b.status == BookingStatus::Cancelled {
            return Err(BookingStoreError::Unavailable("injected: died here".into()));
        }
        self.0.update(b, version, events).await
    }
    async fn update_unless_event_cancelled(
        &self,
        b: &Booking,
        version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError> {
        self.0
            .update_unless_event_cancelled(b, version, events)
            .await
    }
    async fn for_buyer(&self, u: &UserId, n: usize) -> Result<Vec<Booking>, BookingStoreError> {
        self.0.for_buyer(u, n).await
    }
    async fn for_event(
        &self,
        e: &EventId,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        self.0.for_event(e, after, limit).await
    }
    async fn unsettled(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        after: Option<&Booking>,
        n: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        self.0.unsettled(before, after, n).await
    }
    async fn record_events(&self, e: &[IntegrationEvent]) -> Result<(), BookingStoreError> {
        self.0.record_events(e).await
    }
    async fn undelivered(&self, n: usize) -> Result<Vec<IntegrationEvent>, BookingStoreError> {
        self.0.undelivered(n).await
    }
    async fn delivered(&self, ids: &[String]) -> Result<(), BookingStoreError> {
        self.0.delivered(ids).await
    }
}

/// A buyer's cancellation dies before its last write. Whatever it did by then, a seat back on
/// sale must have no valid ticket naming it; a retry finishes the cancellation, once. Before,
/// the seat was freed and the money refunded while the booking stayed confirmed with valid
/// tickets: resold, that seat had two.
pub async fn a_cancellation_cut_short_leaves_no_valid_ticket_for_a_seat_on_sale(a: Adapters) {
    let rig = Rig::new(a).await;
    let ann = rig.pending("ann", "A-1-1").await;
    assert!(rig.run(&ann.id).await);
    let fan = Actor {
        user: UserId::new("ann"),
        admin: false,
    };
    let cancel = |store: Arc<dyn BookingStore>| CancelBooking {
        settlement: Settlement {
            inventory: rig.a.inventory.clone(),
            bookings: store,
            payments: rig.payments.clone(),
            clock: rig.clock.clone(),
        },
    };
    let cut = Arc::new(CancelledWriteFails(rig.a.bookings.clone()));
    assert!(cancel(cut).cancel(&fan, true, &ann.id).await.is_err());
    let b = rig.booking(&ann.id).await;
    if rig.seat("A-1-1").await.is_none() {
        assert!(
            b.tickets.iter().all(|t| t.status == TicketStatus::Void),
            "the seat is on sale but a ticket for it is valid: {b:?}"
        );
    }
    assert_eq!(b.status, BookingStatus::Cancelling);

    // Nobody retries: the sweeper finishes it once it has stopped moving.
    assert_eq!(rig.sweep().await, SweepReport::default(), "too recent");
    rig.clock.advance(STUCK_AFTER + Duration::seconds(1));
    assert_eq!(rig.sweep().await.cancellations_finished, 1);
    assert_eq!(rig.booking(&ann.id).await.status, BookingStatus::Cancelled);
    assert_eq!(rig.sweep().await, SweepReport::default(), "nothing left");

    // The buyer tries again anyway: the same answer, refunded once, reported once.
    for _ in 0..2 {
        let done = cancel(rig.a.bookings.clone())
            .cancel(&fan, true, &ann.id)
            .await
            .unwrap();
        assert_eq!(done.status, BookingStatus::Cancelled);
        assert_eq!(done.reason.as_deref(), Some("cancelled_by_buyer"));
    }
    assert_eq!(rig.payments.net(ann.id.as_str()).await, 0);
    assert_eq!(rig.payments.totals().await.refunds, 1);
    assert_eq!(rig.seat("A-1-1").await, None);
    let kinds: Vec<String> = rig
        .a
        .bookings
        .undelivered(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "BookingCancelled").count(),
        1,
        "{kinds:?}"
    );
}

/// Failures Lambda itself reports (a timeout, out of memory, a client-side timeout) are
/// retried like any transient error: one slow cold start no longer refunds a good booking.
pub async fn lambda_failures_are_retried_not_compensated(a: Adapters) {
    let rig = Rig::new(a).await;
    let forward = [
        "charge-payment",
        "sell-seats",
        "issue-tickets",
        "confirm-booking",
    ];
    let errors = [
        "Sandbox.Timedout",
        "Lambda.Unknown",
        "Lambda.ClientExecutionTimeoutException",
        "States.Timeout",
    ];
    for (n, error) in errors.iter().enumerate() {
        let b = rig
            .pending(&format!("fan{n}"), &format!("A-1-{}", n + 1))
            .await;
        let faults: Vec<_> = forward.iter().map(|s| (*s, *error, 1)).collect();
        let run = rig.execute(&b.id, &faults).await;
        assert!(
            matches!(run.outcome, Outcome::Succeeded(_)),
            "{error}: {run:?}"
        );
        assert_eq!(
            rig.booking(&b.id).await.status,
            BookingStatus::Confirmed,
            "{error}"
        );
        assert_eq!(rig.payments.net(b.id.as_str()).await, 4500, "{error}");
    }
}

/// A confirmed booking takes five transitions (billed per transition); a declined card ends
/// the execution succeeded with the booking failed, so failed executions mean real trouble.
pub async fn declines_succeed_as_executions_and_the_happy_path_is_five_transitions(a: Adapters) {
    let rig = Rig::new(a).await;
    let ok = rig.pending("ann", "A-1-1").await;
    let run = rig.execute(&ok.id, &[]).await;
    assert!(matches!(run.outcome, Outcome::Succeeded(_)), "{run:?}");
    assert_eq!(run.transitions, 5, "charge, sell, issue, confirm, succeed");
    let declined = rig.pending_with("bob", "A-1-2", cards::DECLINED).await;
    let run = rig.execute(&declined.id, &[]).await;
    assert!(matches!(run.outcome, Outcome::Succeeded(_)), "{run:?}");
    rig.assert_compensated(&declined.id, "A-1-2", "card_declined")
        .await;
}

/// Compensation that keeps failing is capped: the booking is marked needs_attention and the
/// execution fails (the alarm), instead of looping until the execution history limit.
pub async fn a_compensation_that_keeps_failing_ends_in_needs_attention(a: Adapters) {
    let rig = Rig::new(a).await;
    let b = rig.pending_with("cy", "A-1-3", cards::DECLINED).await;
    let run = rig
        .execute(
            &b.id,
            &[("release-seats", "DependencyUnavailable", u32::MAX)],
        )
        .await;
    assert!(
        matches!(&run.outcome, Outcome::Failed { error, .. } if error == "CompensationFailed"),
        "{run:?}"
    );
    assert!(run.transitions < 20, "{run:?}");
    let stuck = rig.booking(&b.id).await;
    assert_eq!(stuck.status, BookingStatus::NeedsAttention);
    assert_eq!(stuck.reason.as_deref(), Some("compensation_failed"));
    assert_eq!(
        rig.payments.net(b.id.as_str()).await,
        0,
        "nothing was charged"
    );
}

/// Checkout stored the booking and died before starting its saga: the sweeper starts it, well
/// inside the time the seats are kept, and the booking confirms. Before, it stayed pending
/// until the buyer retried.
pub async fn a_checkout_that_died_before_its_saga_is_finished_by_the_sweeper(a: Adapters) {
    let rig = Rig::new(a).await;
    struct Down;
    #[async_trait]
    impl stagepass_domain::Workflow for Down {
        async fn start(&self, _: &BookingId) -> Result<(), stagepass_domain::InfraError> {
            Err(stagepass_domain::InfraError("injected: died here".into()))
        }
    }
    let dying = Checkout {
        admissions: None,
        catalog: rig.a.catalog.clone(),
        inventory: rig.a.inventory.clone(),
        bookings: rig.a.bookings.clone(),
        workflow: Arc::new(Down),
        clock: rig.clock.clone(),
        rate: BuyerRate::new(rig.a.limiter.clone(), rig.clock.clone(), "checkouts", 10),
    };
    let hold = rig.hold("eve", "A-1-4").await.unwrap();
    let buyer = Buyer {
        user: UserId::new("eve"),
        email: "eve@x.example".into(),
    };
    let card = PaymentMethod::parse(cards::SUCCESS).unwrap();
    assert!(dying.checkout(&buyer, &hold, card).await.is_err());
    let id = BookingId::for_hold(&hold);
    assert_eq!(rig.booking(&id).await.status, BookingStatus::Pending);

    assert_eq!(rig.sweep().await, SweepReport::default(), "too recent");
    rig.clock.advance(STUCK_AFTER + Duration::seconds(1));
    assert_eq!(rig.sweep().await.sagas_started, 1);
    assert_eq!(rig.started.0.lock().unwrap().clone(), vec![id.clone()]);
    assert!(rig.run(&id).await, "the started saga confirms");
    assert_eq!(rig.sweep().await, SweepReport::default());
}

/// A pending booking unchanged past any saga's lifetime (its execution ended without settling
/// it) is marked needs_attention: visible, never silently stuck.
pub async fn a_booking_pending_past_any_saga_is_marked_needs_attention(a: Adapters) {
    let rig = Rig::new(a).await;
    let b = rig.pending("fay", "A-1-1").await;
    rig.clock
        .advance(stagepass_domain::bookings::sweep::SAGA_LIFETIME);
    let report = rig.sweep().await;
    assert_eq!(report.marked_needs_attention, 1, "{report:?}");
    let stuck = rig.booking(&b.id).await;
    assert_eq!(stuck.status, BookingStatus::NeedsAttention);
    assert_eq!(stuck.reason.as_deref(), Some("saga_lost"));
    assert_eq!(rig.sweep().await, SweepReport::default());
}
