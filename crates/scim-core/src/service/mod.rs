//! Domain services.

mod cursor;
mod resources;

pub use resources::{Fields, ListRequest, Listing, MAX_KEY_CHARS, ResourceService};
