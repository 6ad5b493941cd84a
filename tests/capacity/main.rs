//! The capacity model of a sell-out (README, "Capacity model"): 500,000 fans for a 50,000-seat
//! stadium, with and without the waiting room, second by second against AWS's published
//! limits and the template's throttles. It prints the table the README quotes:
//!
//!     cargo test -p stagepass-tests --test capacity -- --nocapture
//!
//! A fluid model, not a load test: cohorts of fans per second, each request either served
//! (within its route's throttle, shared out at random among those asking) or refused (429).
//! What it tells: which limit binds first, how long the sell-out takes, how many fans meet a
//! refusal, and what 1,000 tickets cost.

/// Published limits (us-east-1, default quotas) and the template's throttles.
mod limits {
    /// API Gateway account throttle, requests a second (all routes together).
    pub const ACCOUNT_RPS: f64 = 10_000.0;
    /// `template.yaml` MethodSettings: each of hold and checkout takes 1,000 a second.
    pub const HOLD_RPS: f64 = 1_000.0;
    pub const CHECKOUT_RPS: f64 = 1_000.0;
    /// `template.yaml`: joins and polls of the waiting room, 4,000 a second each.
    pub const JOIN_RPS: f64 = 4_000.0;
    pub const POLL_RPS: f64 = 4_000.0;
    /// Step Functions standard StartExecution: a bucket of 1,300, refilled at 300 a second.
    pub const SAGA_STARTS_PER_S: f64 = 300.0;
    pub const SAGA_BUCKET: f64 = 1_300.0;
    /// DynamoDB: a partition takes 1,000 write units a second; a transactional write costs 2
    /// per item, and a section's seats share one partition key: 500 seat claims a second.
    pub const SEAT_CLAIMS_PER_SECTION_S: f64 = 500.0;
    /// Lambda: an account's concurrency (default quota) and a hold's time in the function.
    pub const CONCURRENCY: f64 = 1_000.0;
    pub const REQUEST_SECS: f64 = 0.05;
}

/// Prices, us-east-1, on-demand, arm64.
mod price {
    pub const API_PER_MILLION: f64 = 3.50;
    /// Lambda: $0.20 per million requests plus 128 MB for 50 ms at $0.0000133334 per GB-s.
    pub const LAMBDA_PER_CALL: f64 = 0.20 / 1e6 + 0.125 * 0.05 * 0.000_013_333_4;
    pub const WRITE_UNIT: f64 = 0.625 / 1e6;
    pub const READ_UNIT: f64 = 0.125 / 1e6;
    /// Step Functions standard: $0.025 per 1,000 transitions; the saga makes about 12.
    pub const SAGA: f64 = 12.0 * 0.025 / 1000.0;
    /// The saga's own Lambda calls (charge, sell, confirm, issue, notify).
    pub const SAGA_CALLS: f64 = 5.0;
}

/// Write and read units per request, from the adapters' items.
mod units {
    /// A hold of 2 seats: 2 units + the hold + the holder's count + the outbox event, in
    /// one transaction (2 units per item).
    pub const HOLD_WRITES: f64 = 10.0;
    pub const HOLD_READS: f64 = 1.0;
    /// Checkout, then the saga's writes (booking, payment, units sold, tickets, outbox).
    pub const CHECKOUT_WRITES: f64 = 24.0;
    pub const CHECKOUT_READS: f64 = 6.0;
    /// A join: the entry and its key, one transaction.
    pub const JOIN_WRITES: f64 = 4.0;
    /// A poll: the fan's entry (eventually consistent); the room comes from memory.
    pub const POLL_READS: f64 = 0.5;
}

const FANS: f64 = 500_000.0;
const SEATS: f64 = 50_000.0;
const SECTIONS: f64 = 50.0;
const SEATS_PER_ORDER: f64 = 2.0;
/// From a hold to paying: choosing, typing a card.
const THINK_SECS: usize = 60;
/// A hold lasts 10 minutes.
const HOLD_SECS: usize = 600;
/// A refused fan's client tries again after this (Retry-After, or a page reload).
const RETRY_SECS: f64 = 5.0;
/// Fans give up after this long without seats.
const PATIENCE_SECS: usize = 20 * 60;
const HORIZON: usize = 60 * 60;

/// When fans arrive, per second from 15 minutes before the opening: 40 % over those 15
/// minutes, 60 % over the first 2 minutes after.
fn arrivals(t: usize) -> f64 {
    const BEFORE: usize = 15 * 60;
    if t < BEFORE {
        FANS * 0.4 / BEFORE as f64
    } else if t < BEFORE + 120 {
        FANS * 0.6 / 120.0
    } else {
        0.0
    }
}
const OPENING: usize = 15 * 60;

#[derive(Debug, Default, Clone)]
struct Outcome {
    /// Seconds from the opening to the last seat sold.
    sell_out_secs: Option<usize>,
    sold_seats: f64,
    /// Fans who met at least one 429 (an upper bound: a fan refused twice counts once here
    /// only while they are in the first refusal's cohort).
    fans_refused: f64,
    /// Refused requests of all kinds.
    refusals: f64,
    /// Holds that ran out because their checkout was refused until too late.
    holds_lapsed: f64,
    requests: f64,
    writes: f64,
    reads: f64,
    sagas: f64,
    /// The first limit to refuse anything, and when.
    first_binding: Option<(&'static str, usize)>,
    peak_concurrency: f64,
}

impl Outcome {
    fn cost(&self) -> f64 {
        self.requests * (price::API_PER_MILLION / 1e6 + price::LAMBDA_PER_CALL)
            + self.writes * price::WRITE_UNIT
            + self.reads * price::READ_UNIT
            + self.sagas * (price::SAGA + price::SAGA_CALLS * price::LAMBDA_PER_CALL)
    }

    fn cost_per_1000_tickets(&self) -> f64 {
        self.cost() / (self.sold_seats / 1000.0)
    }

    fn bind(&mut self, what: &'static str, t: usize) {
        if self.first_binding.is_none() {
            self.first_binding = Some((what, t.saturating_sub(OPENING)));
        }
    }
}

/// Serves `demand` within `capacity`: (served, refused).
fn serve(demand: f64, capacity: f64) -> (f64, f64) {
    let served = demand.min(capacity);
    (served, demand - served)
}

/// Holds placed at `t` wait THINK_SECS then check out; each hold's fate is tracked per cohort.
#[derive(Clone, Copy)]
struct HoldCohort {
    placed: usize,
    fans: f64,
}

fn simulate(waiting_room: bool, admit_per_s: f64) -> Outcome {
    let mut out = Outcome::default();
    let mut available = SEATS;
    // Fans wanting seats and free to ask, by second they started trying (for patience).
    let mut trying: Vec<(usize, f64)> = Vec::new();
    // Fans in the queue, in order (cohorts by join second), and those not yet joined.
    let mut queue: std::collections::VecDeque<(usize, f64)> = Default::default();
    let mut to_join = 0.0;
    let mut admitted_so_far = 0.0;
    let mut holds: Vec<HoldCohort> = Vec::new();
    let mut checking_out: f64 = 0.0; // fans whose checkout was refused, retrying
    let mut saga_bucket = limits::SAGA_BUCKET;
    for t in 0..HORIZON {
        let arriving = arrivals(t);
        let mut account = limits::ACCOUNT_RPS;
        let mut requests = 0.0;
        if waiting_room {
            // Joins: everyone joins once; refused joins try again.
            to_join += arriving;
            let (joined, refused) = serve(to_join, limits::JOIN_RPS.min(account));
            if refused > 0.0 {
                out.bind("API Gateway: waiting-room joins (4,000/s)", t);
                out.fans_refused += refused.min(arriving);
                out.refusals += refused;
            }
            account -= joined;
            requests += joined;
            out.writes += joined * units::JOIN_WRITES;
            to_join -= joined;
            if joined > 0.0 {
                queue.push_back((t, joined));
            }
            // Polls: each waiting fan asks again halfway to their turn (2 s to 300 s).
            let rate = admit_per_s.max(1.0);
            let mut ahead = 0.0;
            let mut polls = 0.0;
            for &(_, n) in &queue {
                // The cohort's mean position.
                let wait = (ahead + n / 2.0) / rate + (OPENING.saturating_sub(t)) as f64;
                polls += n / (wait / 2.0).clamp(2.0, 300.0);
                ahead += n;
            }
            let (served, refused) = serve(polls, limits::POLL_RPS.min(account));
            if refused > 0.0 {
                out.bind("API Gateway: waiting-room polls (4,000/s)", t);
                out.refusals += refused;
            }
            account -= served;
            requests += served;
            out.reads += served * units::POLL_READS;
            // Admission, from the opening, at the rate.
            if t >= OPENING && available > 0.0 {
                let mut admit = admit_per_s;
                while admit > 0.0 {
                    let Some(front) = queue.front_mut() else {
                        break;
                    };
                    let n = front.1.min(admit);
                    front.1 -= n;
                    admit -= n;
                    admitted_so_far += n;
                    trying.push((t, n));
                    if front.1 <= 0.0 {
                        queue.pop_front();
                    }
                }
            }
        } else if t >= OPENING {
            // No room: fans who arrived early ask at the opening, the others on arrival.
            let early: f64 = (0..OPENING).map(arrivals).sum();
            let n = if t == OPENING {
                early + arriving
            } else {
                arriving
            };
            if n > 0.0 {
                trying.push((t, n));
            }
        }
        if t < OPENING {
            out.requests += requests;
            continue;
        }
        // Hold requests: every trying fan asks once per RETRY_SECS; new ones at once.
        let patient: Vec<(usize, f64)> = trying
            .iter()
            .copied()
            .filter(|&(s, n)| t - s < PATIENCE_SECS && n > 0.0)
            .collect();
        trying = patient;
        let asking: f64 = trying
            .iter()
            .map(|&(s, n)| if s == t { n } else { n / RETRY_SECS })
            .sum();
        // The seat partitions: 50 sections at 500 claims a second.
        let partition_holds = SECTIONS * limits::SEAT_CLAIMS_PER_SECTION_S / SEATS_PER_ORDER;
        let route = limits::HOLD_RPS.min(account);
        let (served, refused) = serve(asking, route);
        if refused > 0.0 {
            out.bind("API Gateway: holds (1,000/s)", t);
            out.refusals += refused;
            // Fans in their first second who were refused.
            let fresh: f64 = trying
                .iter()
                .filter(|&&(s, _)| s == t)
                .map(|&(_, n)| n)
                .sum();
            out.fans_refused += fresh * refused / asking.max(1.0);
        }
        if served > partition_holds {
            out.bind("DynamoDB: a section's partition (500 seats/s)", t);
        }
        account -= served;
        requests += served;
        out.writes += served * units::HOLD_WRITES;
        out.reads += served * units::HOLD_READS;
        // Of the served, those that find seats hold them; the rest are told sold out.
        let can_hold = (available / SEATS_PER_ORDER).max(0.0);
        let won = served.min(can_hold).min(partition_holds);
        available -= won * SEATS_PER_ORDER;
        if won > 0.0 {
            holds.push(HoldCohort {
                placed: t,
                fans: won,
            });
        }
        // The served who got seats or learnt it is sold out stop trying.
        let stop = if available <= 0.0 { served } else { won };
        let total: f64 = trying.iter().map(|&(_, n)| n).sum();
        if total > 0.0 {
            let keep = ((total - stop) / total).max(0.0);
            for c in &mut trying {
                c.1 *= keep;
            }
        }
        if available <= 0.0 && waiting_room {
            // Sold out: the room tells everyone still queued.
            queue.clear();
            to_join = 0.0;
        }
        // Checkouts: holds placed THINK_SECS ago, plus refused ones retrying.
        let due: f64 = holds
            .iter()
            .filter(|h| h.placed + THINK_SECS == t)
            .map(|h| h.fans)
            .sum();
        let wanting = due + checking_out / RETRY_SECS;
        let route = limits::CHECKOUT_RPS.min(account);
        saga_bucket = (saga_bucket + limits::SAGA_STARTS_PER_S).min(limits::SAGA_BUCKET);
        let (served, refused_route) = serve(wanting, route);
        let (started, refused_saga) = serve(served, saga_bucket);
        saga_bucket -= started;
        if refused_route > 0.0 {
            out.bind("API Gateway: checkouts (1,000/s)", t);
        }
        if refused_saga > 0.0 {
            out.bind("Step Functions: StartExecution (300/s)", t);
        }
        out.refusals += refused_route + refused_saga;
        requests += served;
        out.writes += started * units::CHECKOUT_WRITES;
        out.reads += started * units::CHECKOUT_READS;
        out.sagas += started;
        out.sold_seats += started * SEATS_PER_ORDER;
        checking_out = (checking_out + due - started).max(0.0);
        // Holds whose checkout never got through in time lapse: their seats go back.
        let lapsing: f64 = holds
            .iter()
            .filter(|h| h.placed + HOLD_SECS == t)
            .map(|h| h.fans)
            .sum::<f64>()
            .min(checking_out);
        checking_out -= lapsing;
        out.holds_lapsed += lapsing;
        available += lapsing * SEATS_PER_ORDER;
        out.requests += requests;
        out.peak_concurrency = out.peak_concurrency.max(requests * limits::REQUEST_SECS);
        if out.sold_seats >= SEATS - 1.0 && out.sell_out_secs.is_none() {
            out.sell_out_secs = Some(t - OPENING);
        }
    }
    let _ = admitted_so_far;
    out.fans_refused = out.fans_refused.min(FANS);
    out
}

fn report(name: &str, o: &Outcome) {
    println!(
        "{name:<34} sold {:>6.0} seats, sell-out {:>8}, fans refused at least once {:>7.0}, \
         refusals {:>9.0}, holds lapsed {:>6.0}, requests {:>9.0}, cost per 1,000 tickets ${:.2}, \
         first limit: {}",
        o.sold_seats,
        o.sell_out_secs.map_or("never".into(), |s| format!("{s} s")),
        o.fans_refused,
        o.refusals,
        o.holds_lapsed,
        o.requests,
        o.cost_per_1000_tickets(),
        o.first_binding
            .map_or("none".into(), |(w, t)| format!("{w} at {t} s")),
    );
}

#[test]
fn a_sell_out_with_and_without_the_waiting_room() {
    let without = simulate(false, 0.0);
    // The admission rate: checkouts can start 300 sagas a second, and each admitted fan
    // starts at most one; 250 a second leaves a sixth of headroom for retries.
    let rate = 250.0;
    let with = simulate(true, rate);
    report("without a waiting room", &without);
    report(&format!("waiting room at {rate}/s"), &with);
    // Too slow wastes minutes; too fast meets the limit the rate was chosen from.
    for other in [100.0, 400.0, 1_000.0] {
        report(
            &format!("waiting room at {other}/s"),
            &simulate(true, other),
        );
    }
    for o in [&without, &with] {
        assert!(o.sold_seats <= SEATS + 1.0, "never more than the seats");
        assert!(
            o.peak_concurrency <= limits::CONCURRENCY,
            "{}",
            o.peak_concurrency
        );
    }
    // What the model must show for the README's claims to hold.
    assert!(with.sell_out_secs.is_some(), "the room sells out");
    let (binding, _) = without
        .first_binding
        .expect("a limit binds without the room");
    assert_eq!(binding, "API Gateway: holds (1,000/s)");
    assert!(with.refusals < without.refusals / 10.0);
    assert!(with.holds_lapsed < 1.0, "{}", with.holds_lapsed);
    assert!(with.fans_refused < without.fans_refused / 10.0);
}
