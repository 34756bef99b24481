//! Domain services.

mod resources;

pub use resources::{MAX_KEY_CHARS, ResourceService};
