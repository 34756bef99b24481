//! Test support for embedders and adapter authors.
//!
//! - [`MemoryStore`] implements every storage port in memory. It is the
//!   reference behaviour the SQL adapter is compared with.
//! - [`contract`] runs every rule the port documentation states against
//!   any adapter. An adapter passes when [`contract::run`] returns `Ok`.

pub mod contract;
mod memory;

pub use memory::MemoryStore;

#[cfg(test)]
mod tests {
    /// The reference store passes the kit it is the reference for.
    #[tokio::test]
    async fn the_memory_store_honours_the_contract() {
        let store = super::MemoryStore::default();
        if let Err(broken) = super::contract::run(&store).await {
            panic!("{broken}");
        }
    }
}
