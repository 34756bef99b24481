//! Domain services.

mod cursor;
mod resources;

pub use resources::{ListRequest, Listing, MAX_KEY_CHARS, ResourceService};
