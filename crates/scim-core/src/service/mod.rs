//! Domain services.

mod resources;

pub use resources::{DuplicatePolicy, ListRequest, MAX_KEY_CHARS, ResourceService};
