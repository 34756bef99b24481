//! The webhook and audit ports over SeaORM.
//!
//! Leases are portable: a replica claims a webhook with one conditional
//! `UPDATE ... WHERE <the lease is free>` and owns it only if that changed
//! a row, so no engine needs `SELECT ... FOR UPDATE SKIP LOCKED`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::ports::{AuditStore, StoreError, WebhookStore};
use scim_core::{
    AuditEntry, Lease, NewAuditEntry, NewWebhook, TenantId, Webhook, WebhookAttempt,
    WebhookBacklog, WebhookProgress,
};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Query as Sql, SelectStatement};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use crate::entity::{audit, event, webhook, webhook_attempt};
use crate::error::backend;
use crate::store::{SeaOrmStore, from_micros, micros, storable};

/// Candidates read per claim: enough that replicas racing for the same
/// webhooks each find another one.
const CLAIM_CANDIDATES: u64 = 8;

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(what.to_owned().into())
}

fn to_webhook(row: webhook::Model) -> Result<Webhook, StoreError> {
    let lease = match (row.lease_owner, row.lease_until) {
        (Some(owner), Some(until)) => Some(Lease {
            owner,
            until: from_micros(until)?,
        }),
        _ => None,
    };
    Ok(Webhook {
        tenant_id: TenantId(row.tenant_id),
        url: row.url,
        secret: row.secret,
        created: from_micros(row.created_at)?,
        disabled: row.disabled_at.map(from_micros).transpose()?,
        delivered_through: u64::try_from(row.delivered_through)
            .map_err(|_| corrupt("a webhook has a negative cursor"))?,
        next_attempt: from_micros(row.next_attempt_at)?,
        failures: u32::try_from(row.attempts)
            .map_err(|_| corrupt("a webhook has a negative failure count"))?,
        lease,
        id: row.id,
    })
}

fn to_attempt(row: webhook_attempt::Model) -> Result<WebhookAttempt, StoreError> {
    let unsigned =
        |n: i64| u64::try_from(n).map_err(|_| corrupt("an attempt has a negative number"));
    Ok(WebhookAttempt {
        id: unsigned(row.id)?,
        at: from_micros(row.at)?,
        first_sequence: unsigned(row.first_sequence)?,
        last_sequence: unsigned(row.last_sequence)?,
        status: row.status.and_then(|s| u16::try_from(s).ok()),
        duration_ms: unsigned(row.duration_ms)?,
        error: row.error,
        webhook_id: row.webhook_id,
    })
}

fn to_audit(row: audit::Model) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: u64::try_from(row.id).map_err(|_| corrupt("an audit entry has a negative id"))?,
        entry: NewAuditEntry {
            tenant_id: TenantId(row.tenant_id),
            at: from_micros(row.at)?,
            credential_id: row.credential_id,
            request_id: row.request_id,
            method: row.method,
            path: row.path,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            status: u16::try_from(row.status)
                .map_err(|_| corrupt("an audit entry has an invalid status"))?,
        },
    })
}

/// The condition under which a webhook may be claimed at `now`.
fn due(now: i64) -> Condition {
    Condition::all()
        .add(webhook::Column::DisabledAt.is_null())
        .add(webhook::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(webhook::Column::LeaseUntil.is_null())
                .add(webhook::Column::LeaseUntil.lte(now)),
        )
}

/// The tenant's webhook `id`, if it exists.
async fn find<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<webhook::Model>, StoreError> {
    if !storable(id) {
        return Ok(None);
    }
    webhook::Entity::find_by_id(id.to_owned())
        .filter(webhook::Column::TenantId.eq(tenant.as_str()))
        .one(conn)
        .await
        .map_err(backend)
}

#[async_trait]
impl WebhookStore for SeaOrmStore {
    async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        if !storable(new.tenant_id.as_str()) {
            return Err(StoreError::NotFound);
        }
        // Write first: an SQLite transaction that reads before it writes
        // fails at once (SQLITE_BUSY_SNAPSHOT) when another connection
        // wrote in between, whatever the busy timeout.
        let txn = self.write().await?;
        let id = new.id.clone();
        let tenant_id = new.tenant_id.as_str().to_owned();
        webhook::Entity::insert(webhook::ActiveModel::from(webhook::Model {
            id: new.id,
            tenant_id: new.tenant_id.0,
            url: new.url,
            secret: new.secret,
            created_at: micros(new.created),
            disabled_at: None,
            delivered_through: new.after.map_or(0, count),
            next_attempt_at: micros(new.created),
            attempts: 0,
            lease_owner: None,
            lease_until: None,
        }))
        .exec_without_returning(&txn)
        .await
        .map_err(|err| {
            // An unknown tenant: its foreign key says so.
            if matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ) {
                StoreError::NotFound
            } else {
                backend(err)
            }
        })?;
        if new.after.is_none() {
            // From the tenant's last event, read in the same transaction.
            let last = Sql::select()
                .expr(Func::max(Expr::col(event::Column::Sequence)))
                .from(event::Entity)
                .and_where(Expr::col(event::Column::TenantId).eq(tenant_id.as_str()))
                .to_owned();
            webhook::Entity::update_many()
                .col_expr(
                    webhook::Column::DeliveredThrough,
                    Func::coalesce([
                        Expr::SubQuery(None, Box::new(last.into())),
                        Expr::value(0i64),
                    ])
                    .into(),
                )
                .filter(webhook::Column::Id.eq(id.as_str()))
                .exec(&txn)
                .await
                .map_err(backend)?;
        }
        let row = webhook::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(backend)?
            .ok_or_else(|| corrupt("a webhook vanished in its own transaction"))?;
        txn.commit().await.map_err(backend)?;
        to_webhook(row)
    }

    async fn list_webhooks(&self, tenant: &TenantId) -> Result<Vec<Webhook>, StoreError> {
        webhook::Entity::find()
            .filter(webhook::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(webhook::Column::CreatedAt)
            .order_by_asc(webhook::Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_webhook)
            .collect()
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: &str) -> Result<(), StoreError> {
        if !storable(id) {
            return Err(StoreError::NotFound);
        }
        // Writes only (see create_webhook): the attempts, scoped to the
        // tenant, then the webhook, whose count says whether it existed.
        let txn = self.write().await?;
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::WebhookId.eq(id))
            .filter(webhook_attempt::Column::TenantId.eq(tenant.as_str()))
            .exec(&txn)
            .await
            .map_err(backend)?;
        let deleted = webhook::Entity::delete_many()
            .filter(webhook::Column::Id.eq(id))
            .filter(webhook::Column::TenantId.eq(tenant.as_str()))
            .exec(&txn)
            .await
            .map_err(backend)?
            .rows_affected;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        txn.commit().await.map_err(backend)
    }

    async fn set_webhook_disabled(
        &self,
        tenant: &TenantId,
        id: &str,
        disabled: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        if !storable(id) {
            return Err(StoreError::NotFound);
        }
        // Write first (see create_webhook), then read the row back in the
        // same transaction. The lease columns are left alone: a replica
        // delivering now keeps its lease and records its attempt.
        let txn = self.write().await?;
        let update = webhook::Entity::update_many()
            .filter(webhook::Column::Id.eq(id))
            .filter(webhook::Column::TenantId.eq(tenant.as_str()));
        let update = match disabled {
            // The first switch-off's time stays.
            Some(at) => update.col_expr(
                webhook::Column::DisabledAt,
                Func::coalesce([
                    Expr::col(webhook::Column::DisabledAt),
                    Expr::value(micros(at)),
                ])
                .into(),
            ),
            None => update
                .col_expr(webhook::Column::DisabledAt, Expr::value(None::<i64>))
                .col_expr(webhook::Column::Attempts, Expr::value(0i32))
                .col_expr(webhook::Column::NextAttemptAt, Expr::value(micros(now))),
        };
        // Not the affected-row count: MySQL counts only rows that changed.
        update.exec(&txn).await.map_err(backend)?;
        let row = find(&txn, tenant, id).await?.ok_or(StoreError::NotFound)?;
        txn.commit().await.map_err(backend)?;
        to_webhook(row)
    }

    async fn webhook_backlog(&self, failing_after: u32) -> Result<WebhookBacklog, StoreError> {
        let failing_after = i32::try_from(failing_after).unwrap_or(i32::MAX);
        let enabled = || Expr::col((webhook::Entity, webhook::Column::DisabledAt)).is_null();
        let count = |condition: Condition| -> SelectStatement {
            Sql::select()
                .expr(Func::count(Expr::col(Asterisk)))
                .from(webhook::Entity)
                .cond_where(condition)
                .to_owned()
        };
        // Each enabled webhook's events after its cursor: one range of
        // ix_scim_events_tenant_sequence per webhook, so the cost grows
        // with the backlog, not with the feed's length.
        let pending = count(Condition::all().add(enabled()))
            .inner_join(
                event::Entity,
                Expr::col((event::Entity, event::Column::TenantId))
                    .equals((webhook::Entity, webhook::Column::TenantId))
                    .and(
                        Expr::col((event::Entity, event::Column::Sequence)).gt(Expr::col((
                            webhook::Entity,
                            webhook::Column::DeliveredThrough,
                        ))),
                    ),
            )
            .to_owned();
        let attempts = || Expr::col((webhook::Entity, webhook::Column::Attempts));
        let parts = [
            ("pending", pending),
            (
                "active",
                count(
                    Condition::all()
                        .add(enabled())
                        .add(attempts().lt(failing_after)),
                ),
            ),
            (
                "failing",
                count(
                    Condition::all()
                        .add(enabled())
                        .add(attempts().gte(failing_after)),
                ),
            ),
            ("disabled", count(Condition::all().add(enabled().not()))),
        ];
        // One statement of four counts (COUNT is a 64-bit integer on every
        // engine; SUM would be a decimal on MySQL).
        let mut select = Sql::select();
        for (name, part) in parts {
            select.expr_as(
                Expr::SubQuery(None, Box::new(part.into())),
                Alias::new(name),
            );
        }
        let row = self
            .db
            .query_one(&select)
            .await
            .map_err(backend)?
            .ok_or_else(|| corrupt("the backlog query returned no row"))?;
        let get = |name: &str| -> Result<u64, StoreError> {
            let n: i64 = row.try_get("", name).map_err(backend)?;
            u64::try_from(n).map_err(|_| corrupt("a negative count"))
        };
        Ok(WebhookBacklog {
            pending_events: get("pending")?,
            active: get("active")?,
            failing: get("failing")?,
            disabled: get("disabled")?,
        })
    }

    async fn claim_webhook(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Webhook>, StoreError> {
        let now = micros(now);
        let candidates: Vec<String> = webhook::Entity::find()
            .select_only()
            .column(webhook::Column::Id)
            .filter(due(now))
            .order_by_asc(webhook::Column::NextAttemptAt)
            .limit(CLAIM_CANDIDATES)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(backend)?;
        for id in candidates {
            // The same condition again, atomically with the write: of
            // several replicas racing for this webhook, one changes the row.
            let taken = webhook::Entity::update_many()
                .col_expr(webhook::Column::LeaseOwner, Expr::value(owner))
                .col_expr(
                    webhook::Column::LeaseUntil,
                    Expr::value(micros(lease_until)),
                )
                .filter(webhook::Column::Id.eq(id.as_str()))
                .filter(due(now))
                .exec(&self.db)
                .await
                .map_err(backend)?;
            if taken.rows_affected != 1 {
                continue;
            }
            let row = webhook::Entity::find_by_id(id)
                .filter(webhook::Column::LeaseOwner.eq(owner))
                .one(&self.db)
                .await
                .map_err(backend)?;
            if let Some(row) = row {
                return to_webhook(row).map(Some);
            }
        }
        Ok(None)
    }

    async fn record_attempt(
        &self,
        owner: &str,
        progress: WebhookProgress,
    ) -> Result<bool, StoreError> {
        let txn = self.write().await?;
        let advanced = webhook::Entity::update_many()
            .col_expr(
                webhook::Column::DeliveredThrough,
                Expr::value(count(progress.delivered_through)),
            )
            .col_expr(
                webhook::Column::Attempts,
                Expr::value(i32::try_from(progress.failures).unwrap_or(i32::MAX)),
            )
            .col_expr(
                webhook::Column::NextAttemptAt,
                Expr::value(micros(progress.next_attempt)),
            )
            .col_expr(webhook::Column::LeaseOwner, Expr::value(None::<String>))
            .col_expr(webhook::Column::LeaseUntil, Expr::value(None::<i64>))
            .filter(webhook::Column::Id.eq(progress.webhook_id.as_str()))
            .filter(webhook::Column::TenantId.eq(progress.tenant_id.as_str()))
            .filter(webhook::Column::LeaseOwner.eq(owner))
            .exec(&txn)
            .await
            .map_err(backend)?
            .rows_affected
            == 1;
        if !advanced
            && find(&txn, &progress.tenant_id, &progress.webhook_id)
                .await?
                .is_none()
        {
            return Ok(false);
        }
        if let Some(attempt) = progress.attempt {
            webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
                id: NotSet,
                webhook_id: Set(progress.webhook_id.clone()),
                tenant_id: Set(progress.tenant_id.as_str().to_owned()),
                at: Set(micros(attempt.at)),
                first_sequence: Set(count(attempt.first_sequence)),
                last_sequence: Set(count(attempt.last_sequence)),
                status: Set(attempt.status.map(i32::from)),
                error: Set(attempt.error.map(|e| e.chars().take(512).collect())),
                duration_ms: Set(count(attempt.duration_ms)),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(backend)?;
        }
        txn.commit().await.map_err(backend)?;
        Ok(advanced)
    }

    async fn attempts(
        &self,
        tenant: &TenantId,
        id: &str,
        limit: u64,
    ) -> Result<Vec<WebhookAttempt>, StoreError> {
        if find(&self.db, tenant, id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::WebhookId.eq(id))
            .filter(webhook_attempt::Column::TenantId.eq(tenant.as_str()))
            .order_by_desc(webhook_attempt::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_attempt)
            .collect()
    }

    async fn purge_attempts(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        // A tenant has few webhooks: one bounded delete per webhook keeps
        // the statement portable.
        let mut removed = 0;
        for hook in self.list_webhooks(tenant).await? {
            removed += webhook_attempt::Entity::delete_many()
                .filter(webhook_attempt::Column::WebhookId.eq(hook.id.as_str()))
                .filter(webhook_attempt::Column::TenantId.eq(tenant.as_str()))
                .filter(webhook_attempt::Column::At.lt(micros(before)))
                .filter(webhook_attempt::Column::LastSequence.lte(count(hook.delivered_through)))
                .exec(&self.db)
                .await
                .map_err(backend)?
                .rows_affected;
        }
        Ok(removed)
    }
}

#[async_trait]
impl AuditStore for SeaOrmStore {
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<u64, StoreError> {
        if !storable(entry.tenant_id.as_str()) {
            return Err(StoreError::NotFound);
        }
        let inserted = audit::Entity::insert(audit::ActiveModel {
            id: NotSet,
            tenant_id: Set(entry.tenant_id.0),
            at: Set(micros(entry.at)),
            credential_id: Set(entry.credential_id),
            request_id: Set(entry.request_id),
            method: Set(entry.method),
            path: Set(entry.path),
            resource_type: Set(entry.resource_type),
            resource_id: Set(entry.resource_id),
            status: Set(i32::from(entry.status)),
        })
        .exec(&self.db)
        .await
        .map_err(|err| {
            // The tenant went (or never was): its foreign key says so.
            if matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ) {
                StoreError::NotFound
            } else {
                backend(err)
            }
        })?;
        u64::try_from(inserted.last_insert_id).map_err(|_| corrupt("a negative audit id"))
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        audit::Entity::find()
            .filter(audit::Column::TenantId.eq(tenant.as_str()))
            .filter(audit::Column::Id.gt(count(after)))
            .order_by_asc(audit::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_audit)
            .collect()
    }

    async fn purge_audit(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(audit::Entity::delete_many()
            .filter(audit::Column::TenantId.eq(tenant.as_str()))
            .filter(audit::Column::At.lt(micros(before)))
            .exec(&self.db)
            .await
            .map_err(backend)?
            .rows_affected)
    }
}
