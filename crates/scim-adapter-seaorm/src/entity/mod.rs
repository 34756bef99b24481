//! SeaORM entities. Private to the crate: nothing above the adapter sees them.

pub(crate) mod audit;
pub(crate) mod client;
pub(crate) mod credential;
pub(crate) mod event;
pub(crate) mod jwt_trust;
pub(crate) mod member;
pub(crate) mod resource;
pub(crate) mod server_key;
pub(crate) mod tenant;
pub(crate) mod value;
pub(crate) mod webhook;
pub(crate) mod webhook_attempt;
