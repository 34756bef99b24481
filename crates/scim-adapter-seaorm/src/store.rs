//! The storage ports implemented over a SeaORM connection.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::ports::{ResourceStore, StoreError, TenantStore};
use scim_core::{
    Client, Credential, DeleteMode, DuplicatePolicy, Event, EventType, GroupRef, IdpProfile,
    JwksLocation, JwtTrust, Member, MemberChange, NewClient, NewCredential, NewResource, NewTenant,
    Page, Position, Query, Replacement, ResourceKind, ServerKey, SortOrder, StoredClient,
    StoredEvent, StoredResource, Tenant, TenantExtension, TenantId, TenantPolicies,
};
use scim_schema::Strictness;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Query as Sql};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, ConnectOptions, ConnectionTrait,
    Database, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use serde_json::{Map, Value};

use crate::entity::{
    audit, client, credential, event, jwt_trust, member, resource, server_key, tenant, value,
    webhook, webhook_attempt,
};
use crate::error::{backend, classify};
use crate::migration::Migrator;

/// Connection pool settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// How long to wait for a connection before reporting the database
    /// unavailable.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The connection pool's state, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open, in use or idle.
    pub open: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most connections the pool opens
    /// ([`StoreOptions::max_connections`]).
    pub max: u32,
}

/// The status of one sqlx pool.
fn pool_status<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolStatus {
    PoolStatus {
        open: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
    }
}

/// The storage ports of `scim-core` over one database.
#[derive(Debug, Clone)]
pub struct SeaOrmStore {
    pub(crate) db: DatabaseConnection,
}

impl SeaOrmStore {
    /// Connects to `url` (`sqlite://...`, `postgres://...` or `mysql://...`)
    /// with default pool settings.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// Connects to `url` with explicit pool settings.
    ///
    /// SQLite connections use write-ahead logging, so readers never block
    /// the writer, and wait up to five seconds for a busy database.
    pub async fn connect_with(url: &str, settings: &StoreOptions) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_timeout(settings.acquire_timeout);
        // sqlx logs every statement at INFO; request spans carry what matters.
        options.sqlx_logging(false);
        #[cfg(feature = "sqlite")]
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // LIKE matches case-sensitively, as on PostgreSQL and on
                // MySQL's byte-wise columns: pattern filters on caseExact
                // values mean the same on every engine. Case-insensitive
                // attributes are matched on their folded copies.
                .pragma("case_sensitive_like", "ON")
        });
        let db = Database::connect(options).await.map_err(backend)?;
        Ok(SeaOrmStore { db })
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock
    /// at `BEGIN` (`BEGIN IMMEDIATE`): a transaction that reads and then
    /// writes would otherwise fail at once, without waiting out the busy
    /// timeout, whenever another connection or process (an administration
    /// command beside the server, say) wrote since its read. PostgreSQL and
    /// MySQL ignore the mode.
    pub(crate) async fn write(&self) -> Result<sea_orm::DatabaseTransaction, StoreError> {
        self.db
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .map_err(backend)
    }

    /// Applies every pending migration. Idempotent.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await.map_err(backend)
    }

    /// Drops every table and applies all migrations again. For tests.
    pub async fn reset(&self) -> Result<(), StoreError> {
        Migrator::fresh(&self.db).await.map_err(backend)
    }

    /// Refreshes the statistics the query planner chooses indexes by.
    ///
    /// SQLite keeps none until asked: without them it may walk the
    /// default-order index and test every row instead of looking a filter
    /// up in its index. This runs SQLite's `PRAGMA optimize`, which
    /// re-analyses (approximately, in milliseconds) only the tables whose
    /// size changed markedly since the last run. Call it at start and then
    /// every few minutes. PostgreSQL and MySQL/MariaDB keep their
    /// statistics themselves: there it does nothing.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        if self.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        let txn = self.write().await?;
        // The resources table decides the plan of every list, and sampled
        // statistics misjudge it when one tenant holds every row (a filter
        // would scan the default order instead of using its index). Keep
        // its statistics exact: a full analysis (about a second at a
        // million users) whenever its size has doubled or halved since.
        let rows = scalar(
            &txn,
            "SELECT COALESCE(MAX(rowid), 0) AS n FROM scim_resources",
        )
        .await?;
        let has_stats = scalar(
            &txn,
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'",
        )
        .await?
            > 0;
        let analysed = if has_stats {
            scalar(
                &txn,
                "SELECT COALESCE(MAX(CAST(stat AS INTEGER)), 0) AS n FROM sqlite_stat1 \
                 WHERE tbl = 'scim_resources'",
            )
            .await?
        } else {
            0
        };
        if rows > 0 && (rows > 2 * analysed || 2 * rows < analysed) {
            execute_all(
                &txn,
                &["PRAGMA analysis_limit = 0", "ANALYZE scim_resources"],
            )
            .await?;
        }
        // Then the other tables, sampled: PRAGMA optimize leaves alone what
        // was just analysed (the limit is per connection, and this
        // transaction holds one). Statistics are read with the schema, and
        // analysing does not change it: the pool's other connections would
        // plan with what they read when they opened. A schema change (a
        // table created and dropped) makes each of them read the schema,
        // and the new statistics, again.
        execute_all(
            &txn,
            &[
                "PRAGMA analysis_limit = 1000",
                "PRAGMA optimize = 0x10002",
                "CREATE TABLE scim_planner_refresh (x INTEGER)",
                "DROP TABLE scim_planner_refresh",
            ],
        )
        .await?;
        txn.commit().await.map_err(backend)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(backend)
    }

    /// How many migrations this build knows that the database has not
    /// applied: not 0 means the schema is behind the code (readiness).
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        Migrator::get_pending_migrations(&self.db)
            .await
            .map(|pending| pending.len())
            .map_err(backend)
    }

    /// How many connections the pool holds now: read from the pool
    /// itself, without a query.
    pub fn pool_status(&self) -> PoolStatus {
        use sea_orm::DatabaseConnectionType as Pool;
        // Matching the variant first: the getters panic on another one.
        match &self.db.inner {
            #[cfg(feature = "sqlite")]
            Pool::SqlxSqlitePoolConnection(_) => pool_status(self.db.get_sqlite_connection_pool()),
            #[cfg(feature = "postgres")]
            Pool::SqlxPostgresPoolConnection(_) => {
                pool_status(self.db.get_postgres_connection_pool())
            }
            #[cfg(feature = "mysql")]
            Pool::SqlxMySqlPoolConnection(_) => pool_status(self.db.get_mysql_connection_pool()),
            _ => PoolStatus::default(),
        }
    }

    /// Closes every pooled connection.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(backend)
    }
}

/// Runs `statements` one after another on `conn`.
async fn execute_all<C: ConnectionTrait>(conn: &C, statements: &[&str]) -> Result<(), StoreError> {
    for sql in statements {
        conn.execute_unprepared(sql).await.map_err(backend)?;
    }
    Ok(())
}

/// The integer column `n` of a one-row query.
async fn scalar<C: ConnectionTrait>(conn: &C, sql: &str) -> Result<i64, StoreError> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .map_err(backend)?;
    match row {
        Some(row) => row.try_get("", "n").map_err(backend),
        None => Ok(0),
    }
}

/// The most ids one statement binds: far below every engine's parameter
/// limit, large enough that a group of 100,000 members takes 100 queries.
const ID_CHUNK: usize = 1_000;

/// The folded `displayName` stored for filtering, if it fits its column.
fn display_key(attributes: &Map<String, Value>) -> Option<String> {
    let folded = attributes.get("displayName")?.as_str()?.to_lowercase();
    (folded.chars().count() <= 512 && storable(&folded)).then_some(folded)
}

/// Stable JSON for tenant policies; unset choices are left out.
fn policies_to_json(policies: &TenantPolicies) -> String {
    let mut map = Map::new();
    if let Some(d) = policies.duplicates {
        map.insert("duplicates".into(), Value::String(d.as_str().into()));
    }
    if let Some(m) = policies.delete_mode {
        map.insert("deleteMode".into(), Value::String(m.as_str().into()));
    }
    if let Some(s) = policies.strictness {
        let name = match s {
            Strictness::Lenient => "lenient",
            Strictness::Strict => "strict",
        };
        map.insert("strictness".into(), Value::String(name.into()));
    }
    if let Some(p) = policies.idp {
        map.insert("idp".into(), Value::String(p.as_str().into()));
    }
    if !policies.extensions.is_empty() {
        let extensions = policies
            .extensions
            .iter()
            .map(|e| {
                serde_json::json!({
                    "resourceType": e.resource_type,
                    "required": e.required,
                    "schema": e.schema.as_ref(),
                })
            })
            .collect();
        map.insert("extensions".into(), Value::Array(extensions));
    }
    Value::Object(map).to_string()
}

fn policies_from_json(text: &str) -> Result<TenantPolicies, StoreError> {
    let corrupt = || StoreError::Backend(format!("tenant policies are corrupt: {text}").into());
    let value: Value = serde_json::from_str(text).map_err(|_| corrupt())?;
    let field = |name: &str| value.get(name).and_then(Value::as_str);
    Ok(TenantPolicies {
        duplicates: field("duplicates")
            .map(|d| DuplicatePolicy::parse(d).ok_or_else(corrupt))
            .transpose()?,
        delete_mode: field("deleteMode")
            .map(|m| DeleteMode::parse(m).ok_or_else(corrupt))
            .transpose()?,
        strictness: match field("strictness") {
            None => None,
            Some("lenient") => Some(Strictness::Lenient),
            Some("strict") => Some(Strictness::Strict),
            Some(_) => return Err(corrupt()),
        },
        idp: field("idp")
            .map(|p| IdpProfile::parse(p).ok_or_else(corrupt))
            .transpose()?,
        extensions: match value.get("extensions") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    Some(TenantExtension {
                        resource_type: item.get("resourceType")?.as_str()?.to_owned(),
                        required: item.get("required")?.as_bool()?,
                        schema: Arc::new(serde_json::from_value(item.get("schema")?.clone()).ok()?),
                    })
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(corrupt)?,
            Some(_) => return Err(corrupt()),
        },
    })
}

pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Backend(format!("timestamp out of range: {us}").into()))
}

fn kind_of(name: &str) -> Result<ResourceKind, StoreError> {
    Ok(ResourceKind::named(name))
}

fn to_resource(row: resource::Model) -> Result<StoredResource, StoreError> {
    let attributes: Map<String, Value> = serde_json::from_str(&row.data).map_err(|e| {
        StoreError::Backend(format!("resource {} has corrupt JSON: {e}", row.id).into())
    })?;
    Ok(StoredResource {
        kind: kind_of(&row.resource_type)?,
        external_id: row.external_id,
        attributes,
        version: u64::try_from(row.version)
            .map_err(|_| StoreError::Backend(format!("negative version on {}", row.id).into()))?,
        created: from_micros(row.created_at)?,
        last_modified: from_micros(row.updated_at)?,
        id: row.id,
    })
}

/// Rows of `kind` in `tenant` that are not deleted.
fn live(tenant: &TenantId, kind: ResourceKind) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(resource::Column::TenantId.eq(tenant.as_str()))
        .add(resource::Column::ResourceType.eq(kind.as_str()))
        .add(resource::Column::DeletedAt.is_null())
}

/// Whether `text` can be a stored key. PostgreSQL text cannot hold NUL,
/// and the core never stores one in a key, so such input matches nothing
/// (instead of failing in the driver).
pub(crate) fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// The live resource `id`, at `expected_version` when one is given: the
/// condition of every version-checked write.
fn live_version(
    tenant: &TenantId,
    kind: ResourceKind,
    id: &str,
    expected_version: Option<u64>,
) -> Result<sea_orm::Condition, StoreError> {
    if !storable(id) {
        return Err(StoreError::NotFound);
    }
    let condition = live(tenant, kind).add(resource::Column::Id.eq(id));
    match expected_version {
        None => Ok(condition),
        // No stored version is that large: it cannot match.
        Some(v) => i64::try_from(v)
            .map(|v| condition.add(resource::Column::Version.eq(v)))
            .map_err(|_| StoreError::VersionMismatch),
    }
}

/// A live resource, read through `conn` (the pool or a transaction).
async fn live_row<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    kind: ResourceKind,
    id: &str,
) -> Result<Option<resource::Model>, StoreError> {
    if !storable(id) {
        return Ok(None);
    }
    resource::Entity::find_by_id(id.to_owned())
        .filter(live(tenant, kind))
        .one(conn)
        .await
        .map_err(backend)
}

/// Inserts membership rows for `members` of `group_id` that are not
/// there yet: one query to find which are, one batched insert. The group
/// row is locked by the caller's version bump, so concurrent changes to
/// the same group queue up behind each other.
async fn insert_members<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group_id: &str,
    members: &[Member],
    at: i64,
) -> Result<(), StoreError> {
    if members.is_empty() {
        return Ok(());
    }
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    let wanted: Vec<&Member> = members.iter().filter(|m| seen.insert(&m.id)).collect();
    // In chunks: engines bound the parameters of one statement, and a
    // PATCH may add tens of thousands of members at once.
    for chunk in wanted.chunks(ID_CHUNK) {
        let present: std::collections::HashSet<String> = member::Entity::find()
            .select_only()
            .column(member::Column::MemberId)
            .filter(member::Column::GroupId.eq(group_id))
            .filter(member::Column::MemberId.is_in(chunk.iter().map(|m| m.id.clone())))
            .into_tuple()
            .all(conn)
            .await
            .map_err(backend)?
            .into_iter()
            .collect();
        let rows: Vec<member::ActiveModel> = chunk
            .iter()
            .filter(|m| !present.contains(&m.id))
            .map(|m| member::ActiveModel {
                id: NotSet,
                tenant_id: Set(tenant.as_str().to_owned()),
                group_id: Set(group_id.to_owned()),
                member_id: Set(m.id.clone()),
                member_type: Set(m.kind.as_str().to_owned()),
                created_at: Set(at),
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        member::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Writes events in the caller's transaction.
async fn insert_events<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    events: &[Event],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .iter()
        .map(|e| {
            Ok(event::ActiveModel {
                sequence: NotSet,
                id: Set(e.id.clone()),
                tenant_id: Set(tenant.as_str().to_owned()),
                event_type: Set(e.event_type.as_str().to_owned()),
                resource_type: Set(e.resource_kind.as_str().to_owned()),
                resource_id: Set(e.resource_id.clone()),
                occurred_at: Set(micros(e.occurred)),
                data: Set(serde_json::to_string(&e.data)
                    .map_err(|err| StoreError::Backend(Box::new(err)))?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

fn to_event(row: event::Model) -> Result<StoredEvent, StoreError> {
    let corrupt =
        |what: &str| StoreError::Backend(format!("event {} has {what}", row.sequence).into());
    Ok(StoredEvent {
        sequence: u64::try_from(row.sequence).map_err(|_| corrupt("a negative sequence"))?,
        event: Event {
            event_type: EventType::parse(&row.event_type)
                .ok_or_else(|| corrupt("an unknown type"))?,
            resource_kind: kind_of(&row.resource_type)?,
            occurred: from_micros(row.occurred_at)?,
            data: serde_json::from_str(&row.data).map_err(|_| corrupt("corrupt data"))?,
            id: row.id,
            resource_id: row.resource_id,
        },
    })
}

/// Applies member deltas in order; each costs one or two statements.
async fn apply_member_changes<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group_id: &str,
    changes: &[MemberChange],
    at: i64,
) -> Result<(), StoreError> {
    for change in changes {
        match change {
            MemberChange::Add(members) => {
                insert_members(conn, tenant, group_id, members, at).await?;
            }
            MemberChange::Remove(ids) if ids.is_empty() => {}
            MemberChange::Remove(ids) => {
                for chunk in ids.chunks(ID_CHUNK) {
                    member::Entity::delete_many()
                        .filter(member::Column::GroupId.eq(group_id))
                        .filter(member::Column::MemberId.is_in(chunk.iter().cloned()))
                        .exec(conn)
                        .await
                        .map_err(backend)?;
                }
            }
            MemberChange::RemoveAll => {
                member::Entity::delete_many()
                    .filter(member::Column::GroupId.eq(group_id))
                    .exec(conn)
                    .await
                    .map_err(backend)?;
            }
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceStore for SeaOrmStore {
    async fn create(
        &self,
        tenant: &TenantId,
        new: NewResource,
    ) -> Result<StoredResource, StoreError> {
        let data =
            serde_json::to_string(&new.attributes).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let at = micros(new.created);
        let row = resource::ActiveModel {
            id: Set(new.id.clone()),
            tenant_id: Set(tenant.as_str().to_owned()),
            resource_type: Set(new.kind.as_str().to_owned()),
            external_id: Set(new.external_id.clone()),
            unique_key: Set(new.unique_key),
            display_key: Set(display_key(&new.attributes)),
            data: Set(data),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        };
        let txn = self.write().await?;
        resource::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| classify(e, new.kind.unique_attribute().unwrap_or("id")))?;
        insert_members(&txn, tenant, &new.id, &new.members, at).await?;
        crate::index::reindex(&txn, tenant, new.kind, &new.id, &new.attributes, false).await?;
        insert_events(&txn, tenant, &new.events).await?;
        txn.commit().await.map_err(backend)?;
        Ok(StoredResource {
            id: new.id,
            kind: new.kind,
            external_id: new.external_id,
            attributes: new.attributes,
            version: 1,
            created: new.created,
            last_modified: new.created,
        })
    }

    async fn get(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<StoredResource>, StoreError> {
        live_row(&self.db, tenant, kind, id)
            .await?
            .map(to_resource)
            .transpose()
    }

    async fn query(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        query: &Query,
    ) -> Result<Page, StoreError> {
        let mut select = resource::Entity::find().filter(live(tenant, kind));
        if let Some(filter) = &query.filter {
            select = select.filter(crate::query::condition(
                filter,
                crate::query::Scope { tenant, kind },
                &query.schemas,
            )?);
        }
        let total = select.clone().count(&self.db).await.map_err(backend)?;
        if query.count == 0 {
            return Ok(Page {
                resources: Vec::new(),
                total_results: total,
                next: None,
            });
        }
        let target = match &query.sort_by {
            Some(path) => Some(
                crate::query::target(path, kind, &query.schemas)
                    .ok_or_else(|| StoreError::Unsupported(format!("sorting by {path}")))?,
            ),
            None => None,
        };
        if let Some(after) = &query.after {
            select = select.filter(crate::query::seek(target, query.sort_order, after)?);
        }
        if let Some(target) = target {
            let order = match query.sort_order {
                SortOrder::Ascending => Order::Asc,
                SortOrder::Descending => Order::Desc,
            };
            // Missing values last when ascending, first when descending,
            // the same on every engine.
            select = select
                .order_by(Expr::col(target.column()).is_null(), order.clone())
                .order_by(target.column(), order);
        }
        // One row past the page tells whether another page follows.
        let mut rows = select
            .order_by_asc(resource::Column::CreatedAt)
            .order_by_asc(resource::Column::Id)
            .offset(query.start_index.saturating_sub(1))
            .limit(query.count.saturating_add(1))
            .all(&self.db)
            .await
            .map_err(backend)?;
        let more = rows.len() as u64 > query.count;
        rows.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
        let next = match rows.last() {
            Some(last) if more => Some(Position {
                key: target.and_then(|t| crate::query::sort_value(t, last)),
                created: from_micros(last.created_at)?,
                id: last.id.clone(),
            }),
            _ => None,
        };
        Ok(Page {
            resources: rows
                .into_iter()
                .map(to_resource)
                .collect::<Result<_, _>>()?,
            total_results: total,
            next,
        })
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: u64,
        replacement: Replacement,
    ) -> Result<StoredResource, StoreError> {
        let condition = live_version(tenant, kind, id, Some(expected_version))?;
        let data = serde_json::to_string(&replacement.attributes)
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let txn = self.write().await?;
        // One conditional write: the version check and the change cannot be
        // separated by a concurrent writer.
        let result = resource::Entity::update_many()
            .col_expr(resource::Column::Data, Expr::value(data))
            .col_expr(
                resource::Column::ExternalId,
                Expr::value(replacement.external_id.clone()),
            )
            .col_expr(
                resource::Column::UniqueKey,
                Expr::value(replacement.unique_key.clone()),
            )
            .col_expr(
                resource::Column::DisplayKey,
                Expr::value(display_key(&replacement.attributes)),
            )
            .col_expr(
                resource::Column::UpdatedAt,
                Expr::value(micros(replacement.modified)),
            )
            .col_expr(
                resource::Column::Version,
                Expr::col(resource::Column::Version).add(1),
            )
            .filter(condition)
            .exec(&txn)
            .await
            .map_err(|e| classify(e, kind.unique_attribute().unwrap_or("id")))?;
        let row = live_row(&txn, tenant, kind, id).await?;
        match row {
            Some(row) if result.rows_affected == 1 => {
                if let Some(members) = &replacement.members {
                    member::Entity::delete_many()
                        .filter(member::Column::GroupId.eq(id))
                        .exec(&txn)
                        .await
                        .map_err(backend)?;
                    insert_members(&txn, tenant, id, members, micros(replacement.modified)).await?;
                }
                apply_member_changes(
                    &txn,
                    tenant,
                    id,
                    &replacement.member_changes,
                    micros(replacement.modified),
                )
                .await?;
                crate::index::reindex(&txn, tenant, kind, id, &replacement.attributes, true)
                    .await?;
                insert_events(&txn, tenant, &replacement.events).await?;
                txn.commit().await.map_err(backend)?;
                to_resource(row)
            }
            Some(_) => Err(StoreError::VersionMismatch),
            None => Err(StoreError::NotFound),
        }
    }

    async fn change_members(
        &self,
        tenant: &TenantId,
        group_id: &str,
        expected_version: Option<u64>,
        changes: &[MemberChange],
        modified: DateTime<Utc>,
        events: Vec<Event>,
    ) -> Result<StoredResource, StoreError> {
        let kind = ResourceKind::Group;
        let condition = live_version(tenant, kind, group_id, expected_version)?;
        let at = micros(modified);
        let txn = self.write().await?;
        // The version bump comes first: it locks the group row, so that
        // concurrent membership changes of one group apply one after another.
        let result = resource::Entity::update_many()
            .col_expr(resource::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                resource::Column::Version,
                Expr::col(resource::Column::Version).add(1),
            )
            .filter(condition)
            .exec(&txn)
            .await
            .map_err(backend)?;
        let row = live_row(&txn, tenant, kind, group_id).await?;
        let row = match row {
            Some(row) if result.rows_affected == 1 => row,
            Some(_) => return Err(StoreError::VersionMismatch),
            None => return Err(StoreError::NotFound),
        };
        apply_member_changes(&txn, tenant, group_id, changes, at).await?;
        insert_events(&txn, tenant, &events).await?;
        txn.commit().await.map_err(backend)?;
        to_resource(row)
    }

    async fn events(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_events(tenant, after, limit).await
    }

    async fn purge(
        &self,
        tenant: &TenantId,
        deleted_before: DateTime<Utc>,
        only: Option<String>,
    ) -> Result<u64, StoreError> {
        // Index rows go with the resources they describe.
        let mut gone = Sql::select()
            .column(resource::Column::Id)
            .from(resource::Entity)
            .and_where(Expr::col(resource::Column::TenantId).eq(tenant.as_str()))
            .and_where(Expr::col(resource::Column::DeletedAt).is_not_null())
            .and_where(Expr::col(resource::Column::DeletedAt).lte(micros(deleted_before)))
            .to_owned();
        if let Some(id) = &only {
            gone.and_where(Expr::col(resource::Column::Id).eq(id.as_str()));
        }
        value::Entity::delete_many()
            .filter(Expr::col(value::Column::ResourceId).in_subquery(gone))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        let mut delete = resource::Entity::delete_many()
            .filter(resource::Column::TenantId.eq(tenant.as_str()))
            .filter(resource::Column::DeletedAt.is_not_null())
            .filter(resource::Column::DeletedAt.lte(micros(deleted_before)));
        if let Some(id) = only {
            if !storable(&id) {
                return Ok(0);
            }
            delete = delete.filter(resource::Column::Id.eq(id));
        }
        let result = delete.exec(&self.db).await.map_err(backend)?;
        Ok(result.rows_affected)
    }

    async fn members(&self, tenant: &TenantId, group_id: &str) -> Result<Vec<Member>, StoreError> {
        if live_row(&self.db, tenant, ResourceKind::Group, group_id)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let pairs = self
            .members_of_many(tenant, std::slice::from_ref(&group_id.to_owned()))
            .await?;
        Ok(pairs.into_iter().map(|(_, member)| member).collect())
    }

    async fn groups_of(
        &self,
        tenant: &TenantId,
        member_id: &str,
    ) -> Result<Vec<GroupRef>, StoreError> {
        let pairs = self
            .groups_of_many(tenant, std::slice::from_ref(&member_id.to_owned()))
            .await?;
        Ok(pairs.into_iter().map(|(_, group)| group).collect())
    }

    async fn groups_of_many(
        &self,
        tenant: &TenantId,
        member_ids: &[String],
    ) -> Result<Vec<(String, GroupRef)>, StoreError> {
        let ids: Vec<&String> = member_ids.iter().filter(|id| storable(id)).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Two queries for the whole page: the memberships, then the groups.
        let pairs: Vec<(String, String)> = member::Entity::find()
            .select_only()
            .column(member::Column::MemberId)
            .column(member::Column::GroupId)
            .filter(member::Column::TenantId.eq(tenant.as_str()))
            .filter(member::Column::MemberId.is_in(ids.into_iter().cloned()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(backend)?;
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut group_ids: Vec<String> = pairs.iter().map(|(_, g)| g.clone()).collect();
        group_ids.sort();
        group_ids.dedup();
        let rows = resource::Entity::find()
            .filter(live(tenant, ResourceKind::Group))
            .filter(resource::Column::Id.is_in(group_ids))
            .order_by_asc(resource::Column::CreatedAt)
            .order_by_asc(resource::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?;
        let mut out = Vec::with_capacity(pairs.len());
        for row in rows {
            let group = to_resource(row)?;
            let display = group
                .attributes
                .get("displayName")
                .and_then(Value::as_str)
                .map(str::to_owned);
            for (member, _) in pairs.iter().filter(|(_, g)| *g == group.id) {
                out.push((
                    member.clone(),
                    GroupRef {
                        id: group.id.clone(),
                        display: display.clone(),
                    },
                ));
            }
        }
        Ok(out)
    }

    async fn members_of_many(
        &self,
        tenant: &TenantId,
        group_ids: &[String],
    ) -> Result<Vec<(String, Member)>, StoreError> {
        let ids: Vec<&String> = group_ids.iter().filter(|id| storable(id)).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = member::Entity::find()
            .filter(member::Column::TenantId.eq(tenant.as_str()))
            .filter(member::Column::GroupId.is_in(ids.into_iter().cloned()))
            .order_by_asc(member::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.group_id,
                    Member {
                        kind: kind_of(&r.member_type)?,
                        id: r.member_id,
                    },
                ))
            })
            .collect()
    }

    async fn existing(&self, tenant: &TenantId, ids: &[String]) -> Result<Vec<Member>, StoreError> {
        let ids: Vec<&String> = ids.iter().filter(|id| storable(id)).collect();
        let mut rows: Vec<(String, String)> = Vec::new();
        // Engines bound the parameters of one statement (SQLite: 32,766).
        for chunk in ids.chunks(ID_CHUNK) {
            let found: Vec<(String, String)> = resource::Entity::find()
                .select_only()
                .column(resource::Column::Id)
                .column(resource::Column::ResourceType)
                .filter(resource::Column::TenantId.eq(tenant.as_str()))
                .filter(resource::Column::DeletedAt.is_null())
                .filter(resource::Column::Id.is_in(chunk.iter().map(|id| (*id).clone())))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(backend)?;
            rows.extend(found);
        }
        rows.into_iter()
            .map(|(id, kind)| {
                Ok(Member {
                    id,
                    kind: kind_of(&kind)?,
                })
            })
            .collect()
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<u64>,
        at: DateTime<Utc>,
        events: Vec<Event>,
    ) -> Result<(), StoreError> {
        let condition = live_version(tenant, kind, id, expected_version)?;
        let txn = self.write().await?;
        // One conditional write: the version check and the delete cannot be
        // separated by a concurrent change.
        let result = resource::Entity::update_many()
            .col_expr(resource::Column::DeletedAt, Expr::value(micros(at)))
            .col_expr(resource::Column::UpdatedAt, Expr::value(micros(at)))
            .col_expr(
                resource::Column::UniqueKey,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                resource::Column::Version,
                Expr::col(resource::Column::Version).add(1),
            )
            .filter(condition)
            .exec(&txn)
            .await
            .map_err(backend)?;
        if result.rows_affected == 1 {
            // Memberships end with the resource: it leaves its groups, and
            // a group loses its members.
            member::Entity::delete_many()
                .filter(member::Column::TenantId.eq(tenant.as_str()))
                .filter(
                    Condition::any()
                        .add(member::Column::GroupId.eq(id))
                        .add(member::Column::MemberId.eq(id)),
                )
                .exec(&txn)
                .await
                .map_err(backend)?;
            insert_events(&txn, tenant, &events).await?;
            txn.commit().await.map_err(backend)?;
            return Ok(());
        }
        drop(txn);
        // Nothing changed: tell a missing row from a stale version.
        match self.get(tenant, kind, id).await? {
            Some(_) if expected_version.is_some() => Err(StoreError::VersionMismatch),
            _ => Err(StoreError::NotFound),
        }
    }
}

impl SeaOrmStore {
    async fn read_events(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let rows = event::Entity::find()
            .filter(event::Column::TenantId.eq(tenant.as_str()))
            .filter(event::Column::Sequence.gt(after))
            .order_by_asc(event::Column::Sequence)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(backend)?;
        rows.into_iter().map(to_event).collect()
    }
}

#[async_trait]
impl TenantStore for SeaOrmStore {
    async fn create_tenant(
        &self,
        new: NewTenant,
        credential: Option<NewCredential>,
    ) -> Result<Tenant, StoreError> {
        let txn = self.write().await?;
        tenant::Entity::insert(tenant::ActiveModel {
            id: Set(new.id.as_str().to_owned()),
            name: Set(new.name.clone()),
            created_at: Set(micros(new.created)),
            policies: Set(None),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| classify(e, "name"))?;
        if let Some(c) = credential {
            credential::Entity::insert(credential::ActiveModel {
                id: Set(c.id),
                tenant_id: Set(c.tenant_id.as_str().to_owned()),
                token_hash: Set(c.token_hash),
                prefix: Set(c.prefix),
                created_at: Set(micros(c.created)),
                revoked_at: Set(None),
                expires_at: Set(c.expires.map(micros)),
                replaces: Set(c.replaces),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(|e| classify(e, "token"))?;
        }
        txn.commit().await.map_err(backend)?;
        Ok(Tenant {
            id: new.id,
            name: new.name,
            created: new.created,
        })
    }

    async fn find_tenant_by_name(&self, name: &str) -> Result<Option<Tenant>, StoreError> {
        tenant::Entity::find()
            .filter(tenant::Column::Name.eq(name))
            .one(&self.db)
            .await
            .map_err(backend)?
            .map(to_tenant)
            .transpose()
    }

    async fn policies(&self, tenant: &TenantId) -> Result<TenantPolicies, StoreError> {
        let row = tenant::Entity::find_by_id(tenant.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(backend)?;
        match row.and_then(|r| r.policies) {
            Some(text) => policies_from_json(&text),
            None => Ok(TenantPolicies::default()),
        }
    }

    async fn set_policies(
        &self,
        tenant: &TenantId,
        policies: TenantPolicies,
    ) -> Result<(), StoreError> {
        let result = tenant::Entity::update_many()
            .col_expr(
                tenant::Column::Policies,
                Expr::value(policies_to_json(&policies)),
            )
            .filter(tenant::Column::Id.eq(tenant.as_str()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn find_credential(&self, token_hash: &str) -> Result<Option<Credential>, StoreError> {
        if !storable(token_hash) {
            return Ok(None);
        }
        credential::Entity::find()
            .filter(credential::Column::TokenHash.eq(token_hash))
            .filter(credential::Column::RevokedAt.is_null())
            .one(&self.db)
            .await
            .map_err(backend)?
            .map(to_credential)
            .transpose()
    }

    async fn find_credential_with_policies(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Credential, TenantPolicies)>, StoreError> {
        if !storable(token_hash) {
            return Ok(None);
        }
        // One round trip per authenticated request: the credential joined
        // with its tenant's policies.
        let to_tenant: sea_orm::RelationDef = credential::Entity::belongs_to(tenant::Entity)
            .from(credential::Column::TenantId)
            .to(tenant::Column::Id)
            .into();
        let Some(row) = credential::Entity::find()
            .filter(credential::Column::TokenHash.eq(token_hash))
            .filter(credential::Column::RevokedAt.is_null())
            .join(sea_orm::JoinType::InnerJoin, to_tenant)
            .column_as(tenant::Column::Policies, "tenant_policies")
            .into_model::<CredentialWithPolicies>()
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let policies = match &row.tenant_policies {
            Some(text) => policies_from_json(text)?,
            None => TenantPolicies::default(),
        };
        let credential = to_credential(credential::Model {
            id: row.id,
            tenant_id: row.tenant_id,
            token_hash: row.token_hash,
            prefix: row.prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            expires_at: row.expires_at,
            replaces: row.replaces,
        })?;
        Ok(Some((credential, policies)))
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        tenant::Entity::find()
            .order_by_asc(tenant::Column::CreatedAt)
            .order_by_asc(tenant::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_tenant)
            .collect()
    }

    async fn find_tenant(&self, tenant: &TenantId) -> Result<Option<Tenant>, StoreError> {
        if !storable(tenant.as_str()) {
            return Ok(None);
        }
        tenant::Entity::find_by_id(tenant.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(backend)?
            .map(to_tenant)
            .transpose()
    }

    async fn delete_tenant(&self, tenant: &TenantId) -> Result<(), StoreError> {
        if !storable(tenant.as_str()) {
            return Err(StoreError::NotFound);
        }
        let id = tenant.as_str();
        let txn = self.write().await?;
        // Lock the tenant row first (PostgreSQL, MySQL; SQLite has one
        // writer anyway): a concurrent write for the tenant then waits and
        // fails on the foreign key, instead of leaving a row behind.
        let found = tenant::Entity::find_by_id(id.to_owned())
            .lock_exclusive()
            .one(&txn)
            .await
            .map_err(backend)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        // Index rows have no foreign key; reach them through their
        // resources, by the index on `resource_id`.
        let resources = Sql::select()
            .column(resource::Column::Id)
            .from(resource::Entity)
            .and_where(Expr::col(resource::Column::TenantId).eq(id))
            .to_owned();
        value::Entity::delete_many()
            .filter(value::Column::TenantId.eq(id))
            .filter(Expr::col(value::Column::ResourceId).in_subquery(resources))
            .exec(&txn)
            .await
            .map_err(backend)?;
        member::Entity::delete_many()
            .filter(member::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        event::Entity::delete_many()
            .filter(event::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        // Attempts before the webhooks they reference.
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        webhook::Entity::delete_many()
            .filter(webhook::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        audit::Entity::delete_many()
            .filter(audit::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        resource::Entity::delete_many()
            .filter(resource::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        credential::Entity::delete_many()
            .filter(credential::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        client::Entity::delete_many()
            .filter(client::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        jwt_trust::Entity::delete_many()
            .filter(jwt_trust::Column::TenantId.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        tenant::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)
    }

    async fn add_credential(&self, new: NewCredential) -> Result<Credential, StoreError> {
        if !storable(new.tenant_id.as_str()) {
            return Err(StoreError::NotFound);
        }
        let stored = Credential {
            id: new.id.clone(),
            tenant_id: new.tenant_id.clone(),
            prefix: new.prefix.clone(),
            created: new.created,
            expires: new.expires,
            revoked: None,
            replaces: new.replaces.clone(),
        };
        let txn = self.write().await?;
        let exists = tenant::Entity::find_by_id(new.tenant_id.as_str().to_owned())
            .one(&txn)
            .await
            .map_err(backend)?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound);
        }
        credential::Entity::insert(credential::ActiveModel {
            id: Set(new.id),
            tenant_id: Set(new.tenant_id.as_str().to_owned()),
            token_hash: Set(new.token_hash),
            prefix: Set(new.prefix),
            created_at: Set(micros(new.created)),
            revoked_at: Set(None),
            expires_at: Set(new.expires.map(micros)),
            replaces: Set(new.replaces),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            // The tenant was deleted since it was read.
            if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) {
                StoreError::NotFound
            } else {
                classify(e, "token")
            }
        })?;
        txn.commit().await.map_err(backend)?;
        Ok(stored)
    }

    async fn list_credentials(&self, tenant: &TenantId) -> Result<Vec<Credential>, StoreError> {
        if !storable(tenant.as_str()) {
            return Ok(Vec::new());
        }
        credential::Entity::find()
            .filter(credential::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(credential::Column::CreatedAt)
            .order_by_asc(credential::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_credential)
            .collect()
    }

    async fn revoke_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Credential, StoreError> {
        // Only a credential not revoked yet gets a time: the first one stays.
        self.update_credential(
            tenant,
            credential_id,
            credential::Column::RevokedAt,
            Some(micros(at)),
            true,
        )
        .await
    }

    async fn set_credential_expiry(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        expires: Option<DateTime<Utc>>,
    ) -> Result<Credential, StoreError> {
        self.update_credential(
            tenant,
            credential_id,
            credential::Column::ExpiresAt,
            expires.map(micros),
            false,
        )
        .await
    }

    async fn confirm_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Credential, StoreError> {
        if !storable(tenant.as_str()) || !storable(credential_id) {
            return Err(StoreError::NotFound);
        }
        let scope = Condition::all()
            .add(credential::Column::Id.eq(credential_id))
            .add(credential::Column::TenantId.eq(tenant.as_str()));
        let txn = self.write().await?;
        let row = credential::Entity::find()
            .filter(scope.clone())
            .one(&txn)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        let Some(previous) = row.replaces.clone() else {
            return to_credential(row);
        };
        // An earlier expiry stays: the grace only ever shortens.
        let at = micros(at);
        credential::Entity::update_many()
            .col_expr(credential::Column::ExpiresAt, Expr::value(at))
            .filter(credential::Column::Id.eq(previous))
            .filter(credential::Column::TenantId.eq(tenant.as_str()))
            .filter(
                Condition::any()
                    .add(credential::Column::ExpiresAt.is_null())
                    .add(credential::Column::ExpiresAt.gt(at)),
            )
            .exec(&txn)
            .await
            .map_err(backend)?;
        credential::Entity::update_many()
            .col_expr(credential::Column::Replaces, Expr::value(None::<String>))
            .filter(scope)
            .exec(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)?;
        to_credential(credential::Model {
            replaces: None,
            ..row
        })
    }

    async fn create_client(&self, new: NewClient) -> Result<Client, StoreError> {
        if !storable(new.tenant_id.as_str()) {
            return Err(StoreError::NotFound);
        }
        let stored = Client {
            id: new.id.clone(),
            tenant_id: new.tenant_id.clone(),
            name: new.name.clone(),
            created: new.created,
            revoked: None,
        };
        // One statement, no read first: the foreign key answers for an
        // unknown tenant, and SQLite cannot turn a read transaction into a
        // write one while another connection writes (SQLITE_BUSY at once).
        client::Entity::insert(client::ActiveModel {
            id: Set(new.id),
            tenant_id: Set(new.tenant_id.as_str().to_owned()),
            name: Set(new.name),
            secret_hash: Set(new.secret_hash),
            created_at: Set(micros(new.created)),
            revoked_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| tenant_gone_or(e, "client_id"))?;
        Ok(stored)
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        if !storable(client_id) {
            return Ok(None);
        }
        client::Entity::find_by_id(client_id.to_owned())
            .filter(client::Column::RevokedAt.is_null())
            .one(&self.db)
            .await
            .map_err(backend)?
            .map(|row| {
                let secret_hash = row.secret_hash.clone();
                Ok(StoredClient {
                    client: to_client(row)?,
                    secret_hash,
                })
            })
            .transpose()
    }

    async fn list_clients(&self, tenant: &TenantId) -> Result<Vec<Client>, StoreError> {
        if !storable(tenant.as_str()) {
            return Ok(Vec::new());
        }
        client::Entity::find()
            .filter(client::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(client::Column::CreatedAt)
            .order_by_asc(client::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_client)
            .collect()
    }

    async fn revoke_client(
        &self,
        tenant: &TenantId,
        client_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Client, StoreError> {
        if !storable(tenant.as_str()) || !storable(client_id) {
            return Err(StoreError::NotFound);
        }
        let scope = Condition::all()
            .add(client::Column::Id.eq(client_id))
            .add(client::Column::TenantId.eq(tenant.as_str()));
        let txn = self.write().await?;
        // Only a client not revoked yet gets a time: the first one stays.
        client::Entity::update_many()
            .col_expr(client::Column::RevokedAt, Expr::value(micros(at)))
            .filter(scope.clone())
            .filter(client::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(backend)?;
        // Read back rather than trust the row count, which MySQL gives
        // for changed rows only.
        let row = client::Entity::find()
            .filter(scope)
            .one(&txn)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        txn.commit().await.map_err(backend)?;
        to_client(row)
    }

    async fn add_jwt_trust(&self, trust: JwtTrust) -> Result<JwtTrust, StoreError> {
        if !storable(trust.tenant_id.as_str()) {
            return Err(StoreError::NotFound);
        }
        let (url, json) = match &trust.jwks {
            JwksLocation::Url(url) => (Some(url.clone()), None),
            JwksLocation::Inline(json) => (None, Some(json.clone())),
        };
        // One statement, as for clients: the foreign key answers for an
        // unknown tenant.
        jwt_trust::Entity::insert(jwt_trust::ActiveModel {
            id: Set(trust.id.clone()),
            tenant_id: Set(trust.tenant_id.as_str().to_owned()),
            issuer: Set(trust.issuer.clone()),
            audience: Set(trust.audience.clone()),
            jwks_url: Set(url),
            jwks_json: Set(json),
            created_at: Set(micros(trust.created)),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| tenant_gone_or(e, "issuer"))?;
        Ok(trust)
    }

    async fn find_jwt_trusts(&self, issuer: &str) -> Result<Vec<JwtTrust>, StoreError> {
        if !storable(issuer) {
            return Ok(Vec::new());
        }
        jwt_trust::Entity::find()
            .filter(jwt_trust::Column::Issuer.eq(issuer))
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_trust)
            .collect()
    }

    async fn list_jwt_trusts(&self, tenant: &TenantId) -> Result<Vec<JwtTrust>, StoreError> {
        if !storable(tenant.as_str()) {
            return Ok(Vec::new());
        }
        jwt_trust::Entity::find()
            .filter(jwt_trust::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(jwt_trust::Column::CreatedAt)
            .order_by_asc(jwt_trust::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_trust)
            .collect()
    }

    async fn remove_jwt_trusts(
        &self,
        tenant: &TenantId,
        issuer: &str,
    ) -> Result<Vec<JwtTrust>, StoreError> {
        if !storable(tenant.as_str()) || !storable(issuer) {
            return Ok(Vec::new());
        }
        // Read, then delete exactly the rows read (no read-then-write
        // transaction, which SQLite may refuse at once under a concurrent
        // writer): what is returned is what was removed.
        let rows = jwt_trust::Entity::find()
            .filter(jwt_trust::Column::TenantId.eq(tenant.as_str()))
            .filter(jwt_trust::Column::Issuer.eq(issuer))
            .all(&self.db)
            .await
            .map_err(backend)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        jwt_trust::Entity::delete_many()
            .filter(jwt_trust::Column::TenantId.eq(tenant.as_str()))
            .filter(jwt_trust::Column::Id.is_in(rows.iter().map(|r| r.id.clone())))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        rows.into_iter().map(to_trust).collect()
    }

    async fn server_key(&self, candidate: ServerKey) -> Result<ServerKey, StoreError> {
        let find = || server_key::Entity::find_by_id(candidate.name.clone()).one(&self.db);
        if let Some(row) = find().await.map_err(backend)? {
            return to_server_key(row);
        }
        let inserted = server_key::Entity::insert(server_key::ActiveModel {
            name: Set(candidate.name.clone()),
            secret: Set(candidate.secret.clone()),
            created_at: Set(micros(candidate.created)),
        })
        .exec_without_returning(&self.db)
        .await;
        match inserted {
            Ok(_) => {}
            // Another replica stored its key first: that one stands.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(e) => return Err(backend(e)),
        }
        match find().await.map_err(backend)? {
            Some(row) => to_server_key(row),
            None => Err(StoreError::Backend(
                format!("server key {} vanished after it was stored", candidate.name).into(),
            )),
        }
    }
}

impl SeaOrmStore {
    /// Sets `column` of the tenant's credential `id` to `value` (only where
    /// it is NULL when `only_unset`), then reads the credential back, in
    /// one transaction. [`StoreError::NotFound`] when the tenant has no
    /// such credential: the row count of the update cannot tell, since
    /// MySQL counts only changed rows.
    async fn update_credential(
        &self,
        tenant: &TenantId,
        id: &str,
        column: credential::Column,
        value: Option<i64>,
        only_unset: bool,
    ) -> Result<Credential, StoreError> {
        if !storable(tenant.as_str()) || !storable(id) {
            return Err(StoreError::NotFound);
        }
        let scope = Condition::all()
            .add(credential::Column::Id.eq(id))
            .add(credential::Column::TenantId.eq(tenant.as_str()));
        let txn = self.write().await?;
        let mut update = credential::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .filter(scope.clone());
        if only_unset {
            update = update.filter(column.is_null());
        }
        update.exec(&txn).await.map_err(backend)?;
        let row = credential::Entity::find()
            .filter(scope)
            .one(&txn)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        txn.commit().await.map_err(backend)?;
        to_credential(row)
    }
}

fn to_tenant(row: tenant::Model) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId(row.id),
        name: row.name,
        created: from_micros(row.created_at)?,
    })
}

/// A credential row with its tenant's policies column.
#[derive(sea_orm::FromQueryResult)]
struct CredentialWithPolicies {
    id: String,
    tenant_id: String,
    token_hash: String,
    prefix: String,
    created_at: i64,
    revoked_at: Option<i64>,
    expires_at: Option<i64>,
    replaces: Option<String>,
    tenant_policies: Option<String>,
}

fn to_credential(row: credential::Model) -> Result<Credential, StoreError> {
    Ok(Credential {
        created: from_micros(row.created_at)?,
        expires: row.expires_at.map(from_micros).transpose()?,
        revoked: row.revoked_at.map(from_micros).transpose()?,
        id: row.id,
        tenant_id: TenantId(row.tenant_id),
        prefix: row.prefix,
        replaces: row.replaces,
    })
}

/// An insert's error: a foreign-key violation means there is no such
/// tenant; a unique violation is a conflict on `attribute`.
fn tenant_gone_or(err: sea_orm::DbErr, attribute: &str) -> StoreError {
    if matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    ) {
        StoreError::NotFound
    } else {
        classify(err, attribute)
    }
}

fn to_client(row: client::Model) -> Result<Client, StoreError> {
    Ok(Client {
        created: from_micros(row.created_at)?,
        revoked: row.revoked_at.map(from_micros).transpose()?,
        id: row.id,
        tenant_id: TenantId(row.tenant_id),
        name: row.name,
    })
}

fn to_trust(row: jwt_trust::Model) -> Result<JwtTrust, StoreError> {
    let jwks = match (row.jwks_url, row.jwks_json) {
        (Some(url), None) => JwksLocation::Url(url),
        (None, Some(json)) => JwksLocation::Inline(json),
        _ => {
            return Err(StoreError::Backend(
                format!("trust {} has not exactly one JWKS source", row.id).into(),
            ));
        }
    };
    Ok(JwtTrust {
        created: from_micros(row.created_at)?,
        id: row.id,
        tenant_id: TenantId(row.tenant_id),
        issuer: row.issuer,
        audience: row.audience,
        jwks,
    })
}

fn to_server_key(row: server_key::Model) -> Result<ServerKey, StoreError> {
    Ok(ServerKey {
        created: from_micros(row.created_at)?,
        name: row.name,
        secret: row.secret,
    })
}
