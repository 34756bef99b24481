//! Test support for embedders and adapter authors.
//!
//! - [`MemoryStore`] implements every storage port in memory. It is the
//!   reference behaviour the SQL adapter is compared with.
//! - [`contract`] runs every rule the port documentation states against
//!   any adapter. An adapter passes when [`contract::run`] returns `Ok`.

pub mod contract;
mod memory;

pub use memory::MemoryStore;
