//! Domain services.

mod resources;

pub use resources::{ResourceService, render};
