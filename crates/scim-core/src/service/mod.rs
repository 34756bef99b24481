//! Domain services.

mod resources;

pub use resources::{DeleteMode, DuplicatePolicy, ListRequest, MAX_KEY_CHARS, ResourceService};
