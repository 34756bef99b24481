//! Schema migrations, applied in order by [`Migrator`].

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_members;
mod m0003_display_key;
mod m0004_events;
mod m0005_tenant_policies;
mod m0006_values;
mod m0007_created_order;
mod m0008_credential_expiry;
mod m0009_value_lookup;
mod m0010_live_order;
mod m0011_oauth;
mod m0012_webhooks_audit;
mod m0013_credential_rotation;

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
            Box::new(m0007_created_order::Migration),
            Box::new(m0008_credential_expiry::Migration),
            Box::new(m0009_value_lookup::Migration),
            Box::new(m0010_live_order::Migration),
            Box::new(m0011_oauth::Migration),
            Box::new(m0012_webhooks_audit::Migration),
            Box::new(m0013_credential_rotation::Migration),
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

/// A `BIGINT` auto-increment primary key: insertion order for members,
/// the feed position for events.
pub(crate) fn serial_key(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.big_integer().not_null().auto_increment().primary_key();
    c
}

/// The foreign key from `table.tenant_id` to the tenant.
pub(crate) fn tenant_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_tenant"))
        .from(table, "tenant_id")
        .to("scim_tenants", "id")
        .to_owned()
}
