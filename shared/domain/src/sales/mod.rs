//! Sales per event, kept by a bus subscriber: the example of building on Stagepass's
//! integration events. `count-sales` adds each booking event to its event's tally, once per
//! event id (the bus delivers at least once, in no order, and a replay delivers again);
//! the organiser's sales view (`get-sales`) reads the tally.

pub mod count;
pub mod models;
pub mod ports;
pub mod view;

pub use count::{CountSales, Counted};
pub use models::{SalesChange, SalesCounts, SalesTally};
pub use ports::SalesLedger;
pub use view::{SalesError, ViewSales};
