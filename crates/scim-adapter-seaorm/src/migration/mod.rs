//! Schema migrations, applied in order by [`Migrator`].

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_members;
mod m0003_display_key;
mod m0004_events;
mod m0005_tenant_policies;
mod m0006_values;

/// All migrations of the adapter's schema.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_members::Migration),
            Box::new(m0003_display_key::Migration),
            Box::new(m0004_events::Migration),
            Box::new(m0005_tenant_policies::Migration),
            Box::new(m0006_values::Migration),
        ]
    }
}

/// Table options per backend. On MySQL/MariaDB every column compares
/// byte-wise (`utf8mb4_bin`): the default collations are case- and
/// accent-insensitive, which would make `josé` and `Jose` collide.
pub(crate) fn table(backend: DbBackend, name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name);
    if backend == DbBackend::MySql {
        t.engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_bin");
    }
    t
}
