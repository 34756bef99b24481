//! Domain services.

mod resources;

pub use resources::{ListRequest, MAX_KEY_CHARS, ResourceService};
