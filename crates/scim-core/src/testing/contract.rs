//! The store contract kit: the MUSTs of [`crate::ports`], as executable checks.
//!
//! ```
//! # async fn demo() -> Result<(), String> {
//! use scim_core::testing::{MemoryStore, contract};
//!
//! contract::run(&MemoryStore::default()).await?;
//! # Ok(()) }
//! ```
//!
//! Every check creates its own tenants with fresh names, so the kit can run
//! against a database that already holds data, including data of earlier
//! runs. Failures are returned as a message naming the broken rule.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Map, Value, json};

use std::sync::Arc;

use crate::model::{
    Client, Credential, DeleteMode, DuplicatePolicy, Event, EventType, IdpProfile, JwksLocation,
    JwtTrust, Member, MemberChange, NewAuditEntry, NewClient, NewCredential, NewResource,
    NewTenant, NewWebhook, Position, Query, Replacement, ResourceKind, ServerKey, SortOrder,
    SortValue, Tenant, TenantId, TenantPolicies, Webhook, WebhookAttempt, WebhookBacklog,
    WebhookProgress,
};
use crate::ports::{
    AuditStore, IdGenerator, ResourceStore, StoreError, TenantStore, UuidV7Ids, WebhookStore,
};

/// Runs every check in order; stops at the first broken rule.
pub async fn run<S>(store: &S) -> Result<(), String>
where
    S: ResourceStore + TenantStore + WebhookStore + AuditStore,
{
    create_then_get_round_trips(store).await?;
    unique_keys_conflict_among_live_resources_of_a_tenant(store).await?;
    reads_never_cross_tenants_or_kinds(store).await?;
    queries_filter_sort_and_page_in_the_store(store).await?;
    filters_mean_what_the_evaluator_says(store).await?;
    positions_walk_every_resource_once_in_order(store).await?;
    positions_survive_creates_and_deletes_between_pages(store).await?;
    replace_is_conditional_and_keeps_keys_unique(store).await?;
    delete_is_conditional_and_frees_the_unique_key(store).await?;
    memberships_change_as_deltas_and_end_with_their_resources(store).await?;
    purge_removes_only_old_deleted_resources(store).await?;
    clients_are_found_listed_and_revoked(store).await?;
    trusted_issuers_belong_to_one_tenant(store).await?;
    server_keys_are_stored_once(store).await?;
    events_are_written_with_their_changes_and_only_then(store).await?;
    tenants_and_credentials(store).await?;
    credentials_expire_and_are_revoked(store).await?;
    rotations_are_confirmed_once(store).await?;
    webhooks_are_stored_listed_and_deleted_per_tenant(store).await?;
    webhook_leases_are_exclusive_and_expire(store).await?;
    webhooks_switch_off_and_on_per_tenant(store).await?;
    the_webhook_backlog_spans_every_tenant(store).await?;
    the_audit_log_appends_pages_and_purges_per_tenant(store).await?;
    tenants_are_listed_found_and_deleted_without_a_trace(store).await?;
    configured_kinds_are_stored_like_the_built_in_ones(store).await?;
    Ok(())
}

fn check(condition: bool, rule: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(format!("contract broken: {rule}"))
    }
}

fn now() -> DateTime<Utc> {
    // Storage keeps microseconds; compare at that precision.
    Utc::now().trunc_subsecs(6)
}

fn fresh() -> String {
    UuidV7Ids.new_id()
}

async fn tenant<S: TenantStore>(store: &S) -> Result<TenantId, String> {
    let id = TenantId(fresh());
    store
        .create_tenant(
            NewTenant {
                id: id.clone(),
                name: format!("contract-{}", id.as_str()),
                created: now(),
            },
            None,
        )
        .await
        .map_err(|e| format!("create_tenant failed: {e}"))?;
    Ok(id)
}

fn user(user_name: &str, external_id: Option<&str>) -> NewResource {
    let mut attributes = Map::new();
    attributes.insert("userName".into(), json!(user_name));
    attributes.insert(
        "name".into(),
        json!({"givenName": "Zoë", "familyName": "O'Malley"}),
    );
    attributes.insert(
        "emails".into(),
        json!([{"value": "z@example.com", "primary": true}]),
    );
    NewResource {
        id: fresh(),
        kind: ResourceKind::User,
        external_id: external_id.map(str::to_owned),
        unique_key: Some(user_name.to_lowercase()),
        attributes,
        members: Vec::new(),
        created: now(),
        events: Vec::new(),
    }
}

fn group(name: &str) -> NewResource {
    let mut attributes = Map::new();
    attributes.insert("displayName".into(), Value::String(name.to_owned()));
    NewResource {
        id: fresh(),
        kind: ResourceKind::Group,
        external_id: None,
        unique_key: None,
        attributes,
        members: Vec::new(),
        created: now(),
        events: Vec::new(),
    }
}

async fn create_then_get_round_trips<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let new = user("Zoë@Example.com", Some("ext-Ω-1"));
    let created = store
        .create(&t, new.clone())
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    check(created.version == 1, "create MUST return version 1")?;
    check(created.id == new.id, "create MUST keep the given id")?;
    check(
        created.created == new.created && created.last_modified == new.created,
        "create MUST set created and lastModified to the given time",
    )?;
    let read = store
        .get(&t, ResourceKind::User, &new.id)
        .await
        .map_err(|e| format!("get failed: {e}"))?;
    check(
        read.as_ref() == Some(&created),
        "get MUST return what create stored, unchanged",
    )?;
    check(
        read.is_some_and(|r| {
            r.external_id.as_deref() == Some("ext-Ω-1") && r.attributes == new.attributes
        }),
        "externalId and attributes MUST round-trip exactly, Unicode included",
    )?;
    Ok(())
}

async fn unique_keys_conflict_among_live_resources_of_a_tenant<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let a = tenant(store).await?;
    let b = tenant(store).await?;
    store
        .create(&a, user("Ärger@x.org", None))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let clash = store.create(&a, user("äRGER@X.ORG", None)).await;
    check(
        matches!(&clash, Err(StoreError::Conflict { attribute }) if attribute == "userName"),
        "create MUST return Conflict on userName for a taken folded key in the tenant",
    )?;
    check(
        store.create(&b, user("Ärger@x.org", None)).await.is_ok(),
        "the same key MUST be free in another tenant",
    )?;
    check(
        store.create(&a, user("arger@x.org", None)).await.is_ok(),
        "keys MUST compare exactly as folded (no accent folding)",
    )?;
    // Groups carry no unique key here: any number may share a name.
    check(
        store.create(&a, group("Sales")).await.is_ok()
            && store.create(&a, group("Sales")).await.is_ok(),
        "resources without a unique key MUST never conflict",
    )?;
    Ok(())
}

async fn reads_never_cross_tenants_or_kinds<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let a = tenant(store).await?;
    let b = tenant(store).await?;
    let created = store
        .create(&a, user("isolated", None))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let other_tenant = store.get(&b, ResourceKind::User, &created.id).await;
    check(
        matches!(other_tenant, Ok(None)),
        "get MUST return None for another tenant's resource",
    )?;
    let other_kind = store.get(&a, ResourceKind::Group, &created.id).await;
    check(
        matches!(other_kind, Ok(None)),
        "get MUST return None for another kind",
    )?;
    let unknown = store.get(&a, ResourceKind::User, "no-such-id").await;
    check(
        matches!(unknown, Ok(None)),
        "get MUST return None for unknown ids",
    )?;
    // Hostile ids and values are unknown, not backend failures.
    let long = "x".repeat(10_000);
    for hostile in [
        "nul\0id",
        "",
        long.as_str(),
        "'; DROP TABLE scim_resources; --",
    ] {
        let found = store.get(&a, ResourceKind::User, hostile).await;
        check(
            matches!(found, Ok(None)),
            "get MUST return None for any unknown id, even a hostile one",
        )?;
        let deleted = store
            .delete(&a, ResourceKind::User, hostile, None, now(), Vec::new())
            .await;
        check(
            matches!(deleted, Err(StoreError::NotFound)),
            "delete MUST return NotFound for any unknown id, even a hostile one",
        )?;
        let members = store.existing(&a, &[hostile.to_owned()]).await;
        check(
            members.is_ok_and(|m| m.is_empty()),
            "existing MUST ignore unknown ids",
        )?;
    }
    for filter in [
        r#"userName eq "is\u0000olated""#,
        r#"externalId ne "\u0000""#,
        r#"displayName sw "\u0000""#,
        r#"id eq "\u0000""#,
    ] {
        let q = query(Some(filter), None, SortOrder::Ascending)?;
        let found = store.query(&a, ResourceKind::User, &q).await;
        check(
            found.is_ok_and(|p| p.total_results == 0),
            &format!("a filter value with NUL MUST match nothing stored, not fail: {filter}"),
        )?;
    }
    let foreign_delete = store
        .delete(&b, ResourceKind::User, &created.id, None, now(), Vec::new())
        .await;
    check(
        matches!(foreign_delete, Err(StoreError::NotFound)),
        "delete MUST return NotFound for another tenant's resource",
    )?;
    Ok(())
}

fn query(
    filter: Option<&str>,
    sort_by: Option<&str>,
    sort_order: SortOrder,
) -> Result<Query, String> {
    let parse_filter =
        |f: &str| scim_filter::parse(f).map_err(|e| format!("bad test filter {f}: {e}"));
    Ok(Query {
        filter: filter.map(parse_filter).transpose()?,
        sort_by: sort_by
            .map(|p| scim_filter::parse_path(p).map(|p| p.attr))
            .transpose()
            .map_err(|e| format!("bad test path: {e}"))?,
        sort_order,
        start_index: 1,
        after: None,
        count: 100,
        schemas: Arc::new(scim_filter::Schemas::user()),
    })
}

async fn user_names<S: ResourceStore>(
    store: &S,
    t: &TenantId,
    query: &Query,
) -> Result<Vec<String>, String> {
    let page = store
        .query(t, ResourceKind::User, query)
        .await
        .map_err(|e| {
            format!(
                "query {:?} failed: {e}",
                query.filter.as_ref().map(ToString::to_string)
            )
        })?;
    Ok(page
        .resources
        .iter()
        .map(|r| {
            r.attributes["userName"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect())
}

async fn queries_filter_sort_and_page_in_the_store<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let base = now();
    let mut created = Vec::new();
    for (i, (name, ext)) in [
        ("alice", Some("e-a")),
        ("Bob", None),
        ("carol", Some("e-c")),
        ("dave", Some("e-d")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = user(name, ext);
        new.created = base + Duration::seconds(i as i64);
        created.push(
            store
                .create(&t, new)
                .await
                .map_err(|e| format!("create failed: {e}"))?,
        );
    }
    store
        .create(&other, user("alice", Some("e-a")))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    // dave is deleted: invisible to every query.
    store
        .delete(
            &t,
            ResourceKind::User,
            &created[3].id,
            None,
            base + Duration::seconds(10),
            Vec::new(),
        )
        .await
        .map_err(|e| format!("delete failed: {e}"))?;

    let asc = SortOrder::Ascending;
    let cases: [(&str, &[&str]); 14] = [
        (r#"userName eq "BOB""#, &["Bob"]),
        (r#"externalId eq "e-c""#, &["carol"]),
        (r#"externalId eq "E-C""#, &[]),
        // externalId is caseExact: pattern operators match case-sensitively,
        // and LIKE's wildcards in a literal match only themselves.
        (r#"externalId sw "e-""#, &["alice", "carol"]),
        (r#"externalId sw "E-""#, &[]),
        (r#"externalId ew "C" or externalId co "-A""#, &[]),
        (r#"externalId co "%" or externalId sw "_""#, &[]),
        (r#"id co "-""#, &["alice", "Bob", "carol"]),
        ("not (externalId pr)", &["Bob"]),
        (r#"not (externalId eq "e-a")"#, &["Bob", "carol"]),
        (
            r#"userName sw "A" or userName ew "OL""#,
            &["alice", "carol"],
        ),
        (r#"userName co "o" and externalId pr"#, &["carol"]),
        (&format!(r#"id eq "{}""#, created[1].id), &["Bob"]),
        ("userName pr", &["alice", "Bob", "carol"]),
    ];
    for (filter, expected) in cases {
        let found = user_names(store, &t, &query(Some(filter), None, asc)?).await?;
        check(
            found == expected,
            &format!("filter `{filter}` MUST select {expected:?}, got {found:?}"),
        )?;
    }
    let after = (base + Duration::milliseconds(500)).to_rfc3339();
    let found = user_names(
        store,
        &t,
        &query(
            Some(&format!(r#"meta.lastModified gt "{after}""#)),
            None,
            asc,
        )?,
    )
    .await?;
    check(
        found == ["Bob", "carol"],
        &format!("meta.lastModified gt MUST compare instants, got {found:?}"),
    )?;

    let all = user_names(store, &t, &query(None, None, asc)?).await?;
    check(
        all == ["alice", "Bob", "carol"],
        &format!("without sortBy, creation order MUST hold, got {all:?}"),
    )?;
    let by_name = user_names(
        store,
        &t,
        &query(None, Some("userName"), SortOrder::Descending)?,
    )
    .await?;
    check(
        by_name == ["carol", "Bob", "alice"],
        &format!("sortBy userName MUST ignore case, got {by_name:?}"),
    )?;
    let by_ext = user_names(store, &t, &query(None, Some("externalId"), asc)?).await?;
    check(
        by_ext == ["alice", "carol", "Bob"],
        &format!("ascending sorts MUST put missing values last, got {by_ext:?}"),
    )?;

    let mut page = query(None, None, asc)?;
    page.start_index = 2;
    page.count = 1;
    let second = store
        .query(&t, ResourceKind::User, &page)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    check(
        second.total_results == 3
            && second.resources.len() == 1
            && second.resources[0].id == created[1].id,
        "startIndex and count MUST select one page, with the total of all matches",
    )?;
    page.count = 0;
    let count_only = store
        .query(&t, ResourceKind::User, &page)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    check(
        count_only.total_results == 3 && count_only.resources.is_empty(),
        "count 0 MUST return only the total",
    )?;
    let groups = store
        .query(&t, ResourceKind::Group, &query(None, None, asc)?)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    check(
        groups.total_results == 0,
        "queries MUST stay within their kind",
    )?;
    Ok(())
}

/// Users with varied attributes, and filters of every shape: the store
/// MUST select exactly the users `scim_filter::matches` selects.
async fn filters_mean_what_the_evaluator_says<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let people = [
        json!({"userName": "ann", "title": "Engineer", "active": true,
               "name": {"givenName": "Ann", "familyName": "Lee"},
               "emails": [{"value": "ann@work.example", "type": "work", "primary": true},
                          {"value": "ann@home.example", "type": "home"}],
               ent: {"employeeNumber": "1001", "department": "R&D"}}),
        json!({"userName": "bob", "title": "Manager", "active": false,
               "name": {"givenName": "Bob"},
               "emails": [{"value": "bob@home.example", "type": "home"}],
               ent: {"employeeNumber": "1002", "manager": {"value": "m-1"}}}),
        json!({"userName": "cy", "active": true,
               "emails": [{"value": "CY@WORK.EXAMPLE", "type": "work"}],
               "x509Certificates": [{"value": "MIIB"}]}),
        json!({"userName": "dee", "title": "engineer (50%_off)", "nickName": "D"}),
    ];
    let mut stored = Vec::new();
    for person in people {
        let Value::Object(attributes) = person else {
            return Err("test data must be objects".into());
        };
        let mut new = user("placeholder", None);
        new.unique_key = attributes["userName"].as_str().map(str::to_lowercase);
        new.attributes = attributes;
        stored.push(
            store
                .create(&t, new)
                .await
                .map_err(|e| format!("create failed: {e}"))?,
        );
    }
    let schemas = Arc::new(scim_filter::Schemas::user());
    let filters = [
        r#"title eq "engineer""#,
        r#"title co "ENG""#,
        r#"title sw "Man""#,
        r#"title ew "%_off)""#,
        r#"title ne "Engineer""#,
        "title pr",
        "not (title pr)",
        "title eq null",
        "active eq true",
        "active eq false",
        "active ne true",
        r#"name.givenName eq "ann""#,
        "name pr",
        r#"emails co "@work.example""#,
        r#"emails.value ew "home.example""#,
        r#"emails[type eq "work"]"#,
        r#"emails[type eq "work" and value co "ann"]"#,
        r#"emails[type eq "home" and value co "cy"]"#,
        r#"emails[type eq "work"].value eq "cy@work.example""#,
        r#"emails[not (type eq "work")]"#,
        "emails[primary eq true]",
        r#"emails[value pr and type eq "home"] and not (title eq "manager")"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1002""#,
        r#"employeeNumber sw "100""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1""#,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr",
        r#"x509Certificates.value eq "MIIB""#,
        r#"nickName eq "d" or title co "manager""#,
        r#"userName eq "ann" and emails[type eq "home"]"#,
    ];
    for text in filters {
        let filter =
            scim_filter::parse(text).map_err(|e| format!("bad test filter {text}: {e}"))?;
        let mut expected: Vec<String> = Vec::new();
        for resource in &stored {
            let representation = Value::Object(resource.representation(None));
            if scim_filter::matches(&filter, &representation, schemas.as_ref())
                .map_err(|e| format!("the evaluator refused {text}: {e}"))?
            {
                expected.push(resource.id.clone());
            }
        }
        let q = Query {
            filter: Some(filter),
            ..query(None, None, SortOrder::Ascending)?
        };
        let page = store
            .query(&t, ResourceKind::User, &q)
            .await
            .map_err(|e| format!("query `{text}` failed: {e}"))?;
        let found: Vec<String> = page.resources.into_iter().map(|r| r.id).collect();
        check(
            found == expected,
            &format!(
                "filter `{text}` MUST select what the evaluator selects: {expected:?}, got {found:?}"
            ),
        )?;
    }
    Ok(())
}

/// The ids `query` selects in one page, unpaged.
async fn ids_of<S: ResourceStore>(
    store: &S,
    t: &TenantId,
    query: &Query,
) -> Result<Vec<String>, String> {
    let page = store
        .query(t, ResourceKind::User, query)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    Ok(page.resources.into_iter().map(|r| r.id).collect())
}

/// Walks `query` page by page, `count` at a time, each page resuming at
/// the previous page's `next`: the ids in the order walked. Checks every
/// page on the way.
async fn walk<S: ResourceStore>(
    store: &S,
    t: &TenantId,
    query: &Query,
    count: u64,
) -> Result<Vec<String>, String> {
    let mut q = Query {
        count,
        after: None,
        ..query.clone()
    };
    let total = store
        .query(t, ResourceKind::User, &q)
        .await
        .map_err(|e| format!("query failed: {e}"))?
        .total_results;
    let mut seen = Vec::new();
    // Bounded: a store whose `next` never ends fails instead of hanging.
    for _ in 0..=total {
        let page = store
            .query(t, ResourceKind::User, &q)
            .await
            .map_err(|e| format!("query after a position failed: {e}"))?;
        check(
            page.resources.len() as u64 <= count,
            "a page MUST hold at most count resources",
        )?;
        check(
            page.total_results == total,
            "total_results MUST count every match, whatever the position",
        )?;
        check(
            q.after.is_none() || !page.resources.is_empty() || total == 0,
            "next MUST be None when no resource follows the page",
        )?;
        seen.extend(page.resources.iter().map(|r| r.id.clone()));
        match page.next {
            None => return Ok(seen),
            Some(next) => {
                check(
                    page.resources.last().is_some_and(|r| r.id == next.id),
                    "next MUST be the position of the page's last resource",
                )?;
                q.after = Some(next);
            }
        }
    }
    Err("contract broken: walking by next MUST end".to_owned())
}

/// Users with ties on every sort key and missing values: walking any
/// order by positions, in pages of any size, yields what one query
/// yields, each resource once.
async fn positions_walk_every_resource_once_in_order<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let base = now();
    let names = [
        "delta", "Alpha", "charlie", "bravo", "Echo", "foxtrot", "golf", "hotel", "india",
    ];
    for (i, name) in names.into_iter().enumerate() {
        let external = format!("x-{}", i % 3);
        let mut new = user(name, (i % 4 != 0).then_some(external.as_str()));
        // Three users per instant: the id alone orders them.
        new.created = base + Duration::seconds(i as i64 / 3);
        if i % 2 == 0 {
            new.attributes
                .insert("displayName".into(), json!(format!("D{}", 8 - i / 4)));
        }
        store
            .create(&t, new)
            .await
            .map_err(|e| format!("create failed: {e}"))?;
    }
    let theirs = store
        .create(&other, user("alpha", None))
        .await
        .map_err(|e| format!("create failed: {e}"))?;

    let (asc, desc) = (SortOrder::Ascending, SortOrder::Descending);
    let orders = [
        (None, asc),
        (Some("userName"), asc),
        (Some("userName"), desc),
        (Some("externalId"), asc),
        (Some("externalId"), desc),
        (Some("displayName"), asc),
        (Some("displayName"), desc),
        (Some("meta.created"), desc),
        (Some("meta.lastModified"), asc),
        (Some("id"), desc),
    ];
    for (sort_by, order) in orders {
        let q = query(None, sort_by, order)?;
        let all = ids_of(store, &t, &q).await?;
        check(all.len() == names.len(), "the query MUST see every user")?;
        for count in [1, 2, 4, 9, 10] {
            let walked = walk(store, &t, &q, count).await?;
            check(
                walked == all,
                &format!(
                    "walking sortBy {sort_by:?} {order:?} by {count} MUST yield every \
                     resource once, in the order of one query: {all:?}, got {walked:?}"
                ),
            )?;
        }
    }

    let filtered = query(Some("externalId pr"), Some("externalId"), desc)?;
    let all = ids_of(store, &t, &filtered).await?;
    check(all.len() == 6, "externalId pr MUST select six users")?;
    check(
        walk(store, &t, &filtered, 4).await? == all,
        "walking a filtered query MUST yield what the query selects",
    )?;

    let mut q = query(None, None, asc)?;
    q.count = 2;
    let first = store
        .query(&t, ResourceKind::User, &q)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    let next = first
        .next
        .ok_or("contract broken: a first page of 9 by 2 MUST have a next")?;
    q.count = 0;
    q.after = Some(next.clone());
    let count_only = store
        .query(&t, ResourceKind::User, &q)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    check(
        count_only.resources.is_empty()
            && count_only.total_results == names.len() as u64
            && count_only.next.is_none(),
        "count 0 after a position MUST return only the total, and no next",
    )?;

    // A position only says where to start: in another tenant it selects
    // that tenant's resources, never the position's.
    let mut foreign = query(None, None, asc)?;
    foreign.after = Some(next);
    let found = ids_of(store, &other, &foreign).await?;
    check(
        found == [theirs.id.clone()],
        "a position from another tenant MUST select only the caller's resources",
    )?;

    // Positions a store never mints (only a forged cursor carries them)
    // are refused as such or resume somewhere; never a backend failure.
    let forged = [
        (
            Some("meta.created"),
            Some(SortValue::Text("x".into())),
            "id",
        ),
        (Some("userName"), Some(SortValue::Instant(base)), "id"),
        (Some("userName"), Some(SortValue::Number(1.5)), "id"),
        (
            Some("externalId"),
            Some(SortValue::Text("nul\0".into())),
            "id",
        ),
        (None, Some(SortValue::Boolean(true)), "nul\0id"),
    ];
    for (sort_by, key, id) in forged {
        let q = Query {
            after: Some(Position {
                key,
                created: base,
                id: id.to_owned(),
            }),
            ..query(None, sort_by, asc)?
        };
        let result = store.query(&t, ResourceKind::User, &q).await;
        check(
            matches!(result, Ok(_) | Err(StoreError::InvalidPosition)),
            &format!(
                "a forged position MUST be refused as InvalidPosition or resume, got {result:?}"
            ),
        )?;
    }
    Ok(())
}

async fn page_of<S: ResourceStore>(
    store: &S,
    t: &TenantId,
    q: &Query,
) -> Result<crate::model::Page, String> {
    store
        .query(t, ResourceKind::User, q)
        .await
        .map_err(|e| format!("query failed: {e}"))
}

async fn delete_user<S: ResourceStore>(store: &S, t: &TenantId, id: &str) -> Result<(), String> {
    store
        .delete(t, ResourceKind::User, id, None, now(), Vec::new())
        .await
        .map_err(|e| format!("delete failed: {e}"))
}

/// Resources created and deleted between pages: the walk neither repeats
/// nor skips a resource that was there throughout, sees what is created
/// after its position, and resumes even when the row it stopped at is gone.
async fn positions_survive_creates_and_deletes_between_pages<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let base = now();
    let at = |seconds: i64, millis: i64| {
        base + Duration::seconds(seconds) + Duration::milliseconds(millis)
    };
    let mut ids = Vec::new();
    for i in 0..10 {
        let mut new = user(&format!("w{i}"), None);
        new.created = at(i, 0);
        ids.push(new.id.clone());
        store
            .create(&t, new)
            .await
            .map_err(|e| format!("create failed: {e}"))?;
    }
    let create_at = |name: &str, created: DateTime<Utc>| {
        let mut new = user(name, None);
        new.created = created;
        new
    };
    let mut q = query(None, None, SortOrder::Ascending)?;
    q.count = 3;
    let mut seen = Vec::new();

    let first = page_of(store, &t, &q).await?;
    seen.extend(first.resources.iter().map(|r| r.id.clone()));
    // One seen and one unseen user leave; one user arrives before the
    // position, one after everything.
    delete_user(store, &t, &ids[1]).await?;
    delete_user(store, &t, &ids[4]).await?;
    store
        .create(&t, create_at("early", at(-5, 0)))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let late = store
        .create(&t, create_at("late", at(20, 0)))
        .await
        .map_err(|e| format!("create failed: {e}"))?;

    q.after = first.next;
    let second = page_of(store, &t, &q).await?;
    seen.extend(second.resources.iter().map(|r| r.id.clone()));
    // The position's own row and the next unseen one leave; a user
    // arrives between two unseen ones.
    delete_user(store, &t, &ids[6]).await?;
    delete_user(store, &t, &ids[7]).await?;
    let middle = store
        .create(&t, create_at("middle", at(7, 500)))
        .await
        .map_err(|e| format!("create failed: {e}"))?;

    q.after = second.next;
    for _ in 0..10 {
        let next = page_of(store, &t, &q).await?;
        seen.extend(next.resources.iter().map(|r| r.id.clone()));
        match next.next {
            Some(position) => q.after = Some(position),
            None => break,
        }
    }
    let expected = [
        ids[0].clone(),
        ids[1].clone(),
        ids[2].clone(),
        ids[3].clone(),
        ids[5].clone(),
        ids[6].clone(),
        middle.id,
        ids[8].clone(),
        ids[9].clone(),
        late.id,
    ];
    check(
        seen == expected,
        &format!(
            "creates and deletes between pages MUST neither repeat nor skip a resource: \
             expected {expected:?}, got {seen:?}"
        ),
    )?;

    // The same by userName, descending: a user that sorts before the
    // position is not seen, one that sorts after it is.
    let mut q = query(None, Some("userName"), SortOrder::Descending)?;
    q.count = 4;
    let first = page_of(store, &t, &q).await?;
    let names = |p: &crate::model::Page| -> Vec<String> {
        p.resources
            .iter()
            .map(|r| {
                r.attributes["userName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    check(
        names(&first) == ["w9", "w8", "w5", "w3"],
        &format!(
            "sortBy userName descending MUST start at w9, got {:?}",
            names(&first)
        ),
    )?;
    for name in ["w99", "w0a"] {
        store
            .create(&t, user(name, None))
            .await
            .map_err(|e| format!("create failed: {e}"))?;
    }
    q.after = first.next;
    let rest = page_of(store, &t, &q).await?;
    check(
        names(&rest) == ["w2", "w0a", "w0", "middle"] && rest.next.is_some(),
        &format!(
            "a descending walk MUST resume after its position, got {:?}",
            names(&rest)
        ),
    )?;
    Ok(())
}

fn replacement(user_name: &str, external_id: Option<&str>, modified: DateTime<Utc>) -> Replacement {
    let new = user(user_name, external_id);
    Replacement {
        external_id: new.external_id,
        unique_key: new.unique_key,
        attributes: new.attributes,
        members: None,
        member_changes: Vec::new(),
        modified,
        events: Vec::new(),
    }
}

async fn replace_is_conditional_and_keeps_keys_unique<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let mover = store
        .create(&t, user("mover", Some("ext-mover")))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    store
        .create(&t, user("taken", None))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let later = now() + Duration::seconds(5);

    let replaced = store
        .replace(
            &t,
            ResourceKind::User,
            &mover.id,
            1,
            replacement("Moved", Some("ext-2"), later),
        )
        .await
        .map_err(|e| format!("replace failed: {e}"))?;
    check(
        replaced.version == 2,
        "replace MUST grow the version by one",
    )?;
    check(
        replaced.created == mover.created && replaced.last_modified == later,
        "replace MUST keep created and set lastModified",
    )?;
    check(
        replaced.external_id.as_deref() == Some("ext-2")
            && replaced.attributes["userName"] == "Moved",
        "replace MUST store the new attributes and externalId",
    )?;
    let read = store.get(&t, ResourceKind::User, &mover.id).await;
    check(
        read.is_ok_and(|r| r.as_ref() == Some(&replaced)),
        "get MUST return what replace stored",
    )?;

    let stale = store
        .replace(
            &t,
            ResourceKind::User,
            &mover.id,
            1,
            replacement("Again", None, later),
        )
        .await;
    check(
        matches!(stale, Err(StoreError::VersionMismatch)),
        "replace with a stale version MUST return VersionMismatch",
    )?;
    let clash = store
        .replace(
            &t,
            ResourceKind::User,
            &mover.id,
            2,
            replacement("TAKEN", None, later),
        )
        .await;
    check(
        matches!(&clash, Err(StoreError::Conflict { attribute }) if attribute == "userName"),
        "replace onto another live user's key MUST return Conflict",
    )?;
    let unchanged = store.get(&t, ResourceKind::User, &mover.id).await;
    check(
        unchanged.is_ok_and(|r| {
            r.is_some_and(|r| r.version == 2 && r.attributes["userName"] == "Moved")
        }),
        "a failed replace MUST write nothing",
    )?;
    let old_key_free = store.create(&t, user("mover", None)).await;
    check(old_key_free.is_ok(), "replace MUST free the old unique key")?;
    let foreign = store
        .replace(
            &other,
            ResourceKind::User,
            &mover.id,
            2,
            replacement("x", None, later),
        )
        .await;
    check(
        matches!(foreign, Err(StoreError::NotFound)),
        "replace MUST return NotFound for another tenant's resource",
    )?;
    let same_key = store
        .replace(
            &t,
            ResourceKind::User,
            &mover.id,
            2,
            replacement("MOVED", None, later),
        )
        .await;
    check(
        same_key.is_ok_and(|r| r.version == 3),
        "replace MUST allow a resource to keep its own unique key",
    )?;
    Ok(())
}

async fn delete_is_conditional_and_frees_the_unique_key<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let created = store
        .create(&t, user("leaver", Some("ext-leaver")))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let at = now() + Duration::seconds(1);
    let stale = store
        .delete(&t, ResourceKind::User, &created.id, Some(2), at, Vec::new())
        .await;
    check(
        matches!(stale, Err(StoreError::VersionMismatch)),
        "delete with a wrong expected version MUST return VersionMismatch",
    )?;
    check(
        matches!(
            store.get(&t, ResourceKind::User, &created.id).await,
            Ok(Some(_))
        ),
        "a failed conditional delete MUST leave the resource in place",
    )?;
    store
        .delete(&t, ResourceKind::User, &created.id, Some(1), at, Vec::new())
        .await
        .map_err(|e| format!("delete with the right version failed: {e}"))?;
    check(
        matches!(
            store.get(&t, ResourceKind::User, &created.id).await,
            Ok(None)
        ),
        "get MUST return None after delete",
    )?;
    let again = store
        .delete(&t, ResourceKind::User, &created.id, None, at, Vec::new())
        .await;
    check(
        matches!(again, Err(StoreError::NotFound)),
        "deleting a deleted resource MUST return NotFound",
    )?;
    let reborn = store.create(&t, user("LEAVER", Some("ext-leaver"))).await;
    check(
        reborn.is_ok_and(|r| r.id != created.id),
        "a deleted resource MUST NOT count for uniqueness",
    )?;
    let missing = store
        .delete(&t, ResourceKind::User, "no-such-id", None, at, Vec::new())
        .await;
    check(
        matches!(missing, Err(StoreError::NotFound)),
        "delete MUST return NotFound for unknown ids",
    )?;
    Ok(())
}

async fn purge_removes_only_old_deleted_resources<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let base = now();
    let mut ids = Vec::new();
    for name in ["old", "recent", "live"] {
        let u = store
            .create(&t, user(name, None))
            .await
            .map_err(|e| format!("create failed: {e}"))?;
        ids.push(u.id);
    }
    let foreign = store
        .create(&other, user("old", None))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    for (id, tenant_id, at) in [
        (&ids[0], &t, base + Duration::seconds(1)),
        (&ids[1], &t, base + Duration::seconds(3)),
        (&foreign.id, &other, base + Duration::seconds(1)),
    ] {
        store
            .delete(tenant_id, ResourceKind::User, id, None, at, Vec::new())
            .await
            .map_err(|e| format!("delete failed: {e}"))?;
    }
    let purged = store
        .purge(&t, base + Duration::seconds(2), None)
        .await
        .map_err(|e| format!("purge failed: {e}"))?;
    check(
        purged == 1,
        &format!("purge MUST remove exactly the old deleted resource, removed {purged}"),
    )?;
    let again = store.purge(&t, base + Duration::seconds(2), None).await;
    check(again.is_ok_and(|n| n == 0), "purge MUST be idempotent")?;
    let live = store.get(&t, ResourceKind::User, &ids[2]).await;
    check(
        matches!(live, Ok(Some(_))),
        "purge MUST NOT touch live resources",
    )?;
    let only = store
        .purge(&t, base + Duration::seconds(10), Some(ids[2].clone()))
        .await
        .map_err(|e| format!("purge failed: {e}"))?;
    check(only == 0, "purge of one live resource MUST remove nothing")?;
    let only = store
        .purge(&t, base + Duration::seconds(10), Some(ids[1].clone()))
        .await
        .map_err(|e| format!("purge failed: {e}"))?;
    check(
        only == 1,
        "purge with an id MUST remove that deleted resource",
    )?;
    let foreign_left = store
        .purge(&other, base + Duration::seconds(10), None)
        .await
        .map_err(|e| format!("purge failed: {e}"))?;
    check(foreign_left == 1, "purge MUST stay within its tenant")?;
    Ok(())
}

fn event(event_type: EventType, resource_id: &str) -> Event {
    Event {
        id: fresh(),
        event_type,
        resource_kind: ResourceKind::User,
        resource_id: resource_id.to_owned(),
        occurred: now(),
        data: json!({"attributes": ["title"], "note": "ünïcode"}),
    }
}

async fn events_are_written_with_their_changes_and_only_then<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let mut new = user("evented", None);
    let created_event = event(EventType::UserCreated, &new.id);
    new.events = vec![created_event.clone()];
    let created = store
        .create(&t, new)
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let mut clash = user("EVENTED", None);
    clash.events = vec![event(EventType::UserCreated, &clash.id)];
    check(
        store.create(&t, clash).await.is_err(),
        "the conflicting create must fail",
    )?;

    let later = now() + Duration::seconds(1);
    let mut stale = replacement("evented", None, later);
    stale.events = vec![event(EventType::UserUpdated, &created.id)];
    check(
        store
            .replace(&t, ResourceKind::User, &created.id, 7, stale)
            .await
            .is_err(),
        "the stale replace must fail",
    )?;
    let mut good = replacement("evented", None, later);
    good.events = vec![
        event(EventType::UserUpdated, &created.id),
        event(EventType::UserDeactivated, &created.id),
    ];
    store
        .replace(&t, ResourceKind::User, &created.id, 1, good)
        .await
        .map_err(|e| format!("replace failed: {e}"))?;
    store
        .delete(
            &t,
            ResourceKind::User,
            &created.id,
            None,
            later,
            vec![event(EventType::UserDeleted, &created.id)],
        )
        .await
        .map_err(|e| format!("delete failed: {e}"))?;
    let mut elsewhere = user("evented", None);
    elsewhere.events = vec![event(EventType::UserCreated, &elsewhere.id)];
    store
        .create(&other, elsewhere)
        .await
        .map_err(|e| format!("create failed: {e}"))?;

    let feed = store
        .events(&t, 0, 100)
        .await
        .map_err(|e| format!("events failed: {e}"))?;
    let types: Vec<EventType> = feed.iter().map(|e| e.event.event_type).collect();
    check(
        types
            == [
                EventType::UserCreated,
                EventType::UserUpdated,
                EventType::UserDeactivated,
                EventType::UserDeleted,
            ],
        &format!("events MUST be written with their changes and only then, got {types:?}"),
    )?;
    check(
        feed.windows(2).all(|w| w[0].sequence < w[1].sequence),
        "event sequences MUST grow",
    )?;
    check(
        feed[0].event == created_event,
        "events MUST round-trip: id, type, kind, resource, time and data",
    )?;
    let after = store
        .events(&t, feed[1].sequence, 100)
        .await
        .map_err(|e| format!("events failed: {e}"))?;
    check(
        after.len() == 2 && after[0] == feed[2],
        "events MUST start after the cursor",
    )?;
    let first = store
        .events(&t, 0, 1)
        .await
        .map_err(|e| format!("events failed: {e}"))?;
    check(
        first.len() == 1 && first[0] == feed[0],
        "events MUST honour the limit",
    )?;
    let theirs = store
        .events(&other, 0, 100)
        .await
        .map_err(|e| format!("events failed: {e}"))?;
    check(theirs.len() == 1, "events MUST stay within their tenant")?;
    Ok(())
}

fn member(id: &str, kind: ResourceKind) -> Member {
    Member {
        id: id.to_owned(),
        kind,
    }
}

async fn member_ids<S: ResourceStore>(
    store: &S,
    t: &TenantId,
    group: &str,
) -> Result<Vec<String>, String> {
    let members = store
        .members(t, group)
        .await
        .map_err(|e| format!("members failed: {e}"))?;
    Ok(members.into_iter().map(|m| m.id).collect())
}

async fn memberships_change_as_deltas_and_end_with_their_resources<
    S: ResourceStore + TenantStore,
>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let mut ids = Vec::new();
    for name in ["m1", "m2", "m3"] {
        let u = store
            .create(&t, user(name, None))
            .await
            .map_err(|e| format!("create failed: {e}"))?;
        ids.push(u.id);
    }
    let (u1, u2, u3) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let user_member = |id: &str| member(id, ResourceKind::User);
    let mut new_group = group("Sales");
    new_group.members = vec![user_member(&u1)];
    let g = store
        .create(&t, new_group)
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    check(
        member_ids(store, &t, &g.id).await? == [u1.clone()],
        "create MUST store a group's initial members",
    )?;

    let at = now() + Duration::seconds(1);
    let changed = store
        .change_members(
            &t,
            &g.id,
            Some(1),
            &[MemberChange::Add(vec![user_member(&u2), user_member(&u1)])],
            at,
            Vec::new(),
        )
        .await
        .map_err(|e| format!("change_members failed: {e}"))?;
    check(
        changed.version == 2 && changed.last_modified == at,
        "change_members MUST bump the version and set lastModified",
    )?;
    check(
        member_ids(store, &t, &g.id).await? == [u1.clone(), u2.clone()],
        "adding a present member MUST NOT duplicate it; order of addition is kept",
    )?;
    let stale = store
        .change_members(
            &t,
            &g.id,
            Some(1),
            &[MemberChange::RemoveAll],
            at,
            Vec::new(),
        )
        .await;
    check(
        matches!(stale, Err(StoreError::VersionMismatch)),
        "change_members with a stale version MUST return VersionMismatch",
    )?;
    check(
        member_ids(store, &t, &g.id).await?.len() == 2,
        "a failed change_members MUST change nothing",
    )?;
    store
        .change_members(
            &t,
            &g.id,
            None,
            &[MemberChange::Remove(vec![u1.clone(), "absent".into()])],
            at,
            Vec::new(),
        )
        .await
        .map_err(|e| format!("change_members failed: {e}"))?;
    check(
        member_ids(store, &t, &g.id).await? == [u2.clone()],
        "Remove MUST remove only the named members",
    )?;
    let of_u2 = store
        .groups_of(&t, &u2)
        .await
        .map_err(|e| format!("groups_of failed: {e}"))?;
    check(
        of_u2.len() == 1 && of_u2[0].id == g.id && of_u2[0].display.as_deref() == Some("Sales"),
        "groups_of MUST list the groups of a member with their displayName",
    )?;

    let mut outer = group("All");
    outer.members = vec![member(&g.id, ResourceKind::Group)];
    let outer = store
        .create(&t, outer)
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let of_g = store
        .groups_of(&t, &g.id)
        .await
        .map_err(|e| format!("groups_of failed: {e}"))?;
    check(
        of_g.len() == 1 && of_g[0].id == outer.id,
        "groups MUST be able to contain groups",
    )?;
    let mut containing = Query {
        filter: Some(
            scim_filter::parse(&format!(
                r#"members[value eq "{}" or value eq "nobody"]"#,
                g.id
            ))
            .map_err(|e| e.to_string())?,
        ),
        ..query(None, None, SortOrder::Ascending)?
    };
    containing.schemas = Arc::new(scim_filter::Schemas::group());
    let found = store
        .query(&t, ResourceKind::Group, &containing)
        .await
        .map_err(|e| format!("members[value eq] query failed: {e}"))?;
    check(
        found.total_results == 1 && found.resources[0].id == outer.id,
        "members[value eq \"id\"] MUST find the groups with that member",
    )?;
    // The same membership named other ways, and from the member's side.
    for (kind, expression, expected) in [
        (
            ResourceKind::Group,
            format!(r#"members.value eq "{}""#, g.id),
            &outer.id,
        ),
        (
            ResourceKind::Group,
            format!(r#"members eq "{}""#, g.id),
            &outer.id,
        ),
        (
            ResourceKind::User,
            format!(r#"groups.value eq "{}""#, g.id),
            &u2,
        ),
        (
            ResourceKind::User,
            format!(r#"groups[value eq "{}"]"#, g.id),
            &u2,
        ),
        (ResourceKind::User, format!(r#"groups eq "{}""#, g.id), &u2),
    ] {
        let mut by_membership = Query {
            filter: Some(scim_filter::parse(&expression).map_err(|e| e.to_string())?),
            ..query(None, None, SortOrder::Ascending)?
        };
        by_membership.schemas = Arc::new(match kind {
            ResourceKind::User => scim_filter::Schemas::user(),
            _ => scim_filter::Schemas::group(),
        });
        let found = store
            .query(&t, kind, &by_membership)
            .await
            .map_err(|e| format!("{expression} query failed: {e}"))?;
        check(
            found.total_results == 1 && &found.resources[0].id == expected,
            "a filter on members or groups MUST select by membership, named any way",
        )?;
        let elsewhere = store
            .query(&other, kind, &by_membership)
            .await
            .map_err(|e| format!("{expression} query failed: {e}"))?;
        check(
            elsewhere.total_results == 0,
            "a filter on memberships MUST NOT see another tenant's",
        )?;
    }
    // The batch forms answer what the single forms answer.
    let both_groups = [g.id.clone(), outer.id.clone(), "no-such-group".to_owned()];
    let mut single = Vec::new();
    for id in &both_groups[..2] {
        for m in store
            .members(&t, id)
            .await
            .map_err(|e| format!("members failed: {e}"))?
        {
            single.push((id.clone(), m));
        }
    }
    let mut batch = store
        .members_of_many(&t, &both_groups)
        .await
        .map_err(|e| format!("members_of_many failed: {e}"))?;
    batch.sort_by(|a, b| a.0.cmp(&b.0));
    single.sort_by(|a, b| a.0.cmp(&b.0));
    check(
        batch == single,
        "members_of_many MUST answer what members answers, per group",
    )?;
    let people = [u1.clone(), u2.clone(), g.id.clone()];
    let mut single = Vec::new();
    for id in &people {
        for group in store
            .groups_of(&t, id)
            .await
            .map_err(|e| format!("groups_of failed: {e}"))?
        {
            single.push((id.clone(), group.id));
        }
    }
    let mut batch: Vec<(String, String)> = store
        .groups_of_many(&t, &people)
        .await
        .map_err(|e| format!("groups_of_many failed: {e}"))?
        .into_iter()
        .map(|(m, g)| (m, g.id))
        .collect();
    batch.sort();
    single.sort();
    check(
        batch == single,
        "groups_of_many MUST answer what groups_of answers, per member",
    )?;
    let foreign = store.members_of_many(&other, &both_groups).await;
    check(
        foreign.is_ok_and(|f| f.is_empty()),
        "members_of_many MUST stay within its tenant",
    )?;
    let kinds = store
        .members(&t, &outer.id)
        .await
        .map_err(|e| format!("members failed: {e}"))?;
    check(
        kinds == [member(&g.id, ResourceKind::Group)],
        "members MUST keep each member's kind",
    )?;

    let mut found = store
        .existing(&t, &[u1.clone(), g.id.clone(), "nope".into()])
        .await
        .map_err(|e| format!("existing failed: {e}"))?;
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = vec![user_member(&u1), member(&g.id, ResourceKind::Group)];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    check(
        found == expected,
        "existing MUST report live resources with their kind",
    )?;
    let foreign = store.existing(&other, std::slice::from_ref(&u1)).await;
    check(
        foreign.is_ok_and(|f| f.is_empty()),
        "existing MUST NOT see other tenants' resources",
    )?;

    let current = store
        .get(&t, ResourceKind::Group, &g.id)
        .await
        .map_err(|e| format!("get failed: {e}"))?
        .ok_or("the group vanished")?;
    let keep = Replacement {
        external_id: None,
        unique_key: None,
        attributes: current.attributes.clone(),
        members: None,
        member_changes: Vec::new(),
        modified: at,
        events: Vec::new(),
    };
    store
        .replace(
            &t,
            ResourceKind::Group,
            &g.id,
            current.version,
            keep.clone(),
        )
        .await
        .map_err(|e| format!("replace failed: {e}"))?;
    check(
        member_ids(store, &t, &g.id).await? == [u2.clone()],
        "replace without members MUST keep them",
    )?;
    let swap = Replacement {
        members: Some(vec![user_member(&u3)]),
        ..keep
    };
    store
        .replace(&t, ResourceKind::Group, &g.id, current.version + 1, swap)
        .await
        .map_err(|e| format!("replace failed: {e}"))?;
    check(
        member_ids(store, &t, &g.id).await? == [u3.clone()],
        "replace with members MUST replace them all",
    )?;
    let mut renamed = current.attributes.clone();
    renamed.insert("displayName".into(), json!("Sales EMEA"));
    let both = Replacement {
        external_id: None,
        unique_key: None,
        attributes: renamed,
        members: None,
        member_changes: vec![
            MemberChange::Add(vec![user_member(&u1)]),
            MemberChange::Remove(vec![u3.clone()]),
        ],
        modified: at,
        events: Vec::new(),
    };
    store
        .replace(&t, ResourceKind::Group, &g.id, current.version + 2, both)
        .await
        .map_err(|e| format!("replace failed: {e}"))?;
    check(
        member_ids(store, &t, &g.id).await? == [u1.clone()],
        "replace MUST apply member changes with the attributes",
    )?;
    store
        .change_members(
            &t,
            &g.id,
            None,
            &[MemberChange::Add(vec![user_member(&u3)])],
            at,
            Vec::new(),
        )
        .await
        .map_err(|e| format!("change_members failed: {e}"))?;

    store
        .delete(&t, ResourceKind::User, &u3, None, at, Vec::new())
        .await
        .map_err(|e| format!("delete failed: {e}"))?;
    check(
        member_ids(store, &t, &g.id).await? == [u1.clone()],
        "a deleted user MUST leave its groups, and only it",
    )?;
    store
        .delete(&t, ResourceKind::Group, &g.id, None, at, Vec::new())
        .await
        .map_err(|e| format!("delete failed: {e}"))?;
    let of_outer = store
        .members(&t, &outer.id)
        .await
        .map_err(|e| format!("members failed: {e}"))?;
    check(of_outer.is_empty(), "a deleted group MUST leave its groups")?;
    check(
        matches!(store.members(&t, &g.id).await, Err(StoreError::NotFound)),
        "members of a deleted group MUST be NotFound",
    )?;
    let unknown = store
        .change_members(
            &t,
            "no-such-group",
            None,
            &[MemberChange::RemoveAll],
            at,
            Vec::new(),
        )
        .await;
    check(
        matches!(unknown, Err(StoreError::NotFound)),
        "change_members on an unknown group MUST be NotFound",
    )?;
    Ok(())
}

async fn tenants_and_credentials<S: TenantStore>(store: &S) -> Result<(), String> {
    let id = TenantId(fresh());
    let name = format!("contract-{}", id.as_str());
    let hash = format!("{:0>64}", fresh().replace('-', ""));
    let credential = NewCredential {
        id: fresh(),
        tenant_id: id.clone(),
        token_hash: hash.clone(),
        prefix: "scim_abc".into(),
        created: now(),
        expires: None,
        replaces: None,
    };
    let created = store
        .create_tenant(
            NewTenant {
                id: id.clone(),
                name: name.clone(),
                created: now(),
            },
            Some(credential.clone()),
        )
        .await
        .map_err(|e| format!("create_tenant failed: {e}"))?;
    check(
        created.id == id && created.name == name,
        "create_tenant MUST return the tenant",
    )?;
    let found = store
        .find_tenant_by_name(&name)
        .await
        .map_err(|e| format!("find_tenant_by_name failed: {e}"))?;
    check(
        found.as_ref() == Some(&created),
        "find_tenant_by_name MUST find the tenant",
    )?;
    let cred = store
        .find_credential(&hash)
        .await
        .map_err(|e| format!("find_credential failed: {e}"))?;
    check(
        cred.is_some_and(|c| c.tenant_id == id && c.id == credential.id && c.prefix == "scim_abc"),
        "find_credential MUST resolve the stored hash to its tenant",
    )?;
    let defaults = store.policies(&id).await;
    check(
        defaults.is_ok_and(|p| p == TenantPolicies::default()),
        "a new tenant MUST have no policies set",
    )?;
    let chosen = TenantPolicies {
        duplicates: Some(DuplicatePolicy::Conflict),
        delete_mode: Some(DeleteMode::Hard),
        strictness: Some(scim_schema::Strictness::Strict),
        idp: Some(IdpProfile::Okta),
        extensions: vec![crate::TenantExtension {
            resource_type: "User".into(),
            schema: std::sync::Arc::new(badge_schema()),
            required: true,
        }],
    };
    store
        .set_policies(&id, chosen.clone())
        .await
        .map_err(|e| format!("set_policies failed: {e}"))?;
    let read = store.policies(&id).await;
    check(
        read.is_ok_and(|p| p == chosen),
        "policies MUST round-trip, schema extensions included",
    )?;
    let both = store
        .find_credential_with_policies(&hash)
        .await
        .map_err(|e| format!("find_credential_with_policies failed: {e}"))?;
    check(
        both.as_ref().map(|(c, p)| (c.id.as_str(), p)) == Some((credential.id.as_str(), &chosen))
            && both.map(|(c, _)| c) == store.find_credential(&hash).await.ok().flatten(),
        "find_credential_with_policies MUST return the credential and its tenant's policies",
    )?;
    check(
        matches!(
            store.find_credential_with_policies(&"e".repeat(64)).await,
            Ok(None)
        ),
        "find_credential_with_policies MUST return None for unknown hashes",
    )?;
    let partial = TenantPolicies {
        delete_mode: Some(DeleteMode::Soft),
        ..TenantPolicies::default()
    };
    store
        .set_policies(&id, partial.clone())
        .await
        .map_err(|e| format!("set_policies failed: {e}"))?;
    let read = store.policies(&id).await;
    check(
        read.is_ok_and(|p| p == partial),
        "set_policies MUST replace all choices",
    )?;
    let unknown_tenant = store.set_policies(&TenantId(fresh()), chosen).await;
    check(
        matches!(unknown_tenant, Err(StoreError::NotFound)),
        "set_policies on an unknown tenant MUST return NotFound",
    )?;
    let unknown = store.find_credential(&"f".repeat(64)).await;
    check(
        matches!(unknown, Ok(None)),
        "find_credential MUST return None for unknown hashes",
    )?;

    let second_credential = NewCredential {
        id: fresh(),
        token_hash: format!("{:0>64}", fresh().replace('-', "")),
        ..credential
    };
    let duplicate = store
        .create_tenant(
            NewTenant {
                id: TenantId(fresh()),
                name: name.clone(),
                created: now(),
            },
            Some(second_credential.clone()),
        )
        .await;
    check(
        matches!(&duplicate, Err(StoreError::Conflict { attribute }) if attribute == "name"),
        "create_tenant MUST return Conflict on name for a taken name",
    )?;
    let leaked = store.find_credential(&second_credential.token_hash).await;
    check(
        matches!(leaked, Ok(None)),
        "a failed create_tenant MUST write nothing, not even its credential",
    )?;
    Ok(())
}

fn new_client(tenant: &TenantId, created: DateTime<Utc>) -> NewClient {
    NewClient {
        id: fresh(),
        tenant_id: tenant.clone(),
        name: "contract client".into(),
        secret_hash: fresh_hash(),
        created,
    }
}

fn client_as_stored(new: &NewClient) -> Client {
    Client {
        id: new.id.clone(),
        tenant_id: new.tenant_id.clone(),
        name: new.name.clone(),
        created: new.created,
        revoked: None,
    }
}

async fn clients_are_found_listed_and_revoked<S: TenantStore>(store: &S) -> Result<(), String> {
    let (a, b) = (tenant(store).await?, tenant(store).await?);
    check(
        matches!(
            store
                .create_client(new_client(&TenantId(fresh()), now()))
                .await,
            Err(StoreError::NotFound)
        ),
        "create_client MUST return NotFound for an unknown tenant",
    )?;
    let base = now() - Duration::seconds(10);
    let first = new_client(&a, base);
    let second = new_client(&a, base + Duration::seconds(1));
    let theirs = new_client(&b, base);
    for c in [&second, &first, &theirs] {
        let stored = store
            .create_client(c.clone())
            .await
            .map_err(|e| format!("create_client failed: {e}"))?;
        check(
            stored == client_as_stored(c),
            "create_client MUST return the client as stored",
        )?;
    }
    let mut taken = new_client(&b, base);
    taken.id = first.id.clone();
    check(
        matches!(
            store.create_client(taken).await,
            Err(StoreError::Conflict { attribute }) if attribute == "client_id"
        ),
        "create_client MUST return Conflict (client_id) for a taken id",
    )?;
    let found = store
        .find_client(&first.id)
        .await
        .map_err(|e| format!("find_client failed: {e}"))?;
    check(
        found.as_ref().map(|f| (&f.client, f.secret_hash.as_str()))
            == Some((&client_as_stored(&first), first.secret_hash.as_str())),
        "find_client MUST find a client with its secret hash",
    )?;
    check(
        matches!(store.find_client(&fresh()).await, Ok(None)),
        "find_client MUST return None for an unknown id",
    )?;
    let listed = store
        .list_clients(&a)
        .await
        .map_err(|e| format!("list_clients failed: {e}"))?;
    check(
        listed == [client_as_stored(&first), client_as_stored(&second)],
        "list_clients MUST list the tenant's clients, oldest first, and no other tenant's",
    )?;
    check(
        matches!(
            store.revoke_client(&b, &first.id, now()).await,
            Err(StoreError::NotFound)
        ) && matches!(store.find_client(&first.id).await, Ok(Some(_))),
        "revoke_client MUST return NotFound for another tenant's client and leave it",
    )?;
    let at = now();
    let revoked = store
        .revoke_client(&a, &first.id, at)
        .await
        .map_err(|e| format!("revoke_client failed: {e}"))?;
    check(
        revoked.revoked == Some(at),
        "revoke_client MUST return the client with its revocation time",
    )?;
    check(
        matches!(store.find_client(&first.id).await, Ok(None))
            && matches!(store.find_client(&second.id).await, Ok(Some(_))),
        "find_client MUST NOT return a revoked client, and only that one",
    )?;
    let again = store
        .revoke_client(&a, &first.id, at + Duration::seconds(5))
        .await
        .map_err(|e| format!("revoking again failed: {e}"))?;
    let listed = store
        .list_clients(&a)
        .await
        .map_err(|e| format!("list_clients failed: {e}"))?;
    check(
        again.revoked == Some(at)
            && listed.first().map(|c| c.revoked) == Some(Some(at))
            && listed.len() == 2,
        "revoking again MUST keep the first time, and list_clients MUST list revoked clients",
    )?;
    check(
        matches!(
            store.revoke_client(&a, &fresh(), now()).await,
            Err(StoreError::NotFound)
        ),
        "revoke_client MUST return NotFound for an unknown client",
    )?;
    Ok(())
}

fn trust(tenant: &TenantId, issuer: &str, audience: &str, jwks: JwksLocation) -> JwtTrust {
    JwtTrust {
        id: fresh(),
        tenant_id: tenant.clone(),
        issuer: issuer.to_owned(),
        audience: audience.to_owned(),
        jwks,
        created: now(),
    }
}

async fn trusted_issuers_belong_to_one_tenant<S: TenantStore>(store: &S) -> Result<(), String> {
    let (a, b) = (tenant(store).await?, tenant(store).await?);
    let issuer = format!("https://idp.example.com/{}/", fresh());
    let url = JwksLocation::Url(format!("{issuer}keys"));
    let inline = JwksLocation::Inline(r#"{"keys":[]}"#.to_owned());
    check(
        matches!(
            store
                .add_jwt_trust(trust(&TenantId(fresh()), &issuer, "aud", url.clone()))
                .await,
            Err(StoreError::NotFound)
        ),
        "add_jwt_trust MUST return NotFound for an unknown tenant",
    )?;
    let ours = trust(&a, &issuer, "scim-a", url.clone());
    let ours_too = trust(&a, &issuer, "scim-a2", inline.clone());
    let theirs = trust(&b, &issuer, "scim-b", inline);
    for t in [&ours, &ours_too, &theirs] {
        let stored = store
            .add_jwt_trust(t.clone())
            .await
            .map_err(|e| format!("add_jwt_trust failed: {e}"))?;
        check(
            stored == *t,
            "add_jwt_trust MUST return the trust as stored",
        )?;
    }
    check(
        matches!(
            store
                .add_jwt_trust(trust(&b, &issuer, "scim-a", url.clone()))
                .await,
            Err(StoreError::Conflict { attribute }) if attribute == "issuer"
        ) && matches!(
            store
                .add_jwt_trust(trust(&a, &issuer, "scim-a", url.clone()))
                .await,
            Err(StoreError::Conflict { .. })
        ),
        "add_jwt_trust MUST return Conflict (issuer) for a trusted issuer and audience, in any tenant",
    )?;
    let by_id = |mut list: Vec<JwtTrust>| {
        list.sort_by(|x, y| x.id.cmp(&y.id));
        list
    };
    let found = store
        .find_jwt_trusts(&issuer)
        .await
        .map_err(|e| format!("find_jwt_trusts failed: {e}"))?;
    check(
        by_id(found) == by_id(vec![ours.clone(), ours_too.clone(), theirs.clone()]),
        "find_jwt_trusts MUST find every tenant's trusts of the issuer",
    )?;
    check(
        store
            .find_jwt_trusts(&format!("{issuer}other"))
            .await
            .is_ok_and(|f| f.is_empty()),
        "find_jwt_trusts MUST match the issuer exactly",
    )?;
    let listed = store
        .list_jwt_trusts(&a)
        .await
        .map_err(|e| format!("list_jwt_trusts failed: {e}"))?;
    check(
        by_id(listed.clone()) == by_id(vec![ours.clone(), ours_too.clone()])
            && listed.windows(2).all(|w| w[0].created <= w[1].created),
        "list_jwt_trusts MUST list the tenant's trusts oldest first, and no other tenant's",
    )?;
    let removed = store
        .remove_jwt_trusts(&a, &issuer)
        .await
        .map_err(|e| format!("remove_jwt_trusts failed: {e}"))?;
    check(
        by_id(removed) == by_id(vec![ours, ours_too]),
        "remove_jwt_trusts MUST remove and return the tenant's trusts of the issuer",
    )?;
    check(
        store
            .find_jwt_trusts(&issuer)
            .await
            .is_ok_and(|f| f == [theirs.clone()])
            && store.list_jwt_trusts(&a).await.is_ok_and(|l| l.is_empty()),
        "remove_jwt_trusts MUST NOT touch another tenant's trusts",
    )?;
    check(
        store
            .remove_jwt_trusts(&a, &issuer)
            .await
            .is_ok_and(|r| r.is_empty()),
        "remove_jwt_trusts MUST return an empty list when nothing matches",
    )?;
    store
        .add_jwt_trust(trust(&a, &issuer, "scim-a", url))
        .await
        .map_err(|e| format!("a removed trust's issuer and audience MUST be free again: {e}"))?;
    Ok(())
}

async fn server_keys_are_stored_once<S: TenantStore>(store: &S) -> Result<(), String> {
    let name = format!("contract-{}", fresh());
    let key = |secret: &str| ServerKey {
        name: name.clone(),
        secret: secret.to_owned(),
        created: now(),
    };
    let first = store
        .server_key(key("aa"))
        .await
        .map_err(|e| format!("server_key failed: {e}"))?;
    let second = store
        .server_key(key("bb"))
        .await
        .map_err(|e| format!("server_key failed: {e}"))?;
    check(
        first.secret == "aa" && second == first,
        "server_key MUST store the first candidate and return it ever after",
    )?;
    Ok(())
}

/// A token hash no earlier run stored.
fn fresh_hash() -> String {
    format!("{:0>64}", fresh().replace('-', ""))
}

fn new_credential(
    tenant: &TenantId,
    created: DateTime<Utc>,
    expires: Option<DateTime<Utc>>,
) -> NewCredential {
    NewCredential {
        id: fresh(),
        tenant_id: tenant.clone(),
        token_hash: fresh_hash(),
        prefix: "scim_0123456".into(),
        created,
        expires,
        replaces: None,
    }
}

/// The credential `new` should be stored as, before any revocation.
fn as_stored(new: &NewCredential) -> Credential {
    Credential {
        id: new.id.clone(),
        tenant_id: new.tenant_id.clone(),
        prefix: new.prefix.clone(),
        created: new.created,
        expires: new.expires,
        revoked: None,
        replaces: new.replaces.clone(),
    }
}

async fn found<S: TenantStore>(store: &S, hash: &str) -> Result<Option<Credential>, String> {
    store
        .find_credential(hash)
        .await
        .map_err(|e| format!("find_credential failed: {e}"))
}

async fn credentials_of<S: TenantStore>(
    store: &S,
    t: &TenantId,
) -> Result<Vec<Credential>, String> {
    store
        .list_credentials(t)
        .await
        .map_err(|e| format!("list_credentials failed: {e}"))
}

async fn rotations_are_confirmed_once<S: TenantStore>(store: &S) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let base = now() - Duration::seconds(10);
    let grace_end = base + Duration::days(1);
    let old = new_credential(&t, base, Some(grace_end));
    let never = new_credential(&t, base, None);
    let early = new_credential(&t, base, Some(base + Duration::seconds(1)));
    for c in [&old, &never, &early] {
        store
            .add_credential(c.clone())
            .await
            .map_err(|e| format!("add_credential failed: {e}"))?;
    }
    let rotated = NewCredential {
        replaces: Some(old.id.clone()),
        ..new_credential(&t, base + Duration::seconds(1), None)
    };
    check(
        store.add_credential(rotated.clone()).await.ok() == Some(as_stored(&rotated)),
        "add_credential MUST store the credential a rotated one replaces",
    )?;
    check(
        found(store, &rotated.token_hash).await? == Some(as_stored(&rotated)),
        "find_credential MUST return the credential a rotated one replaces",
    )?;
    check(
        matches!(
            store.confirm_credential(&other, &rotated.id, now()).await,
            Err(StoreError::NotFound)
        ),
        "confirm_credential on another tenant's credential MUST return NotFound",
    )?;
    check(
        matches!(
            store.confirm_credential(&t, &fresh(), now()).await,
            Err(StoreError::NotFound)
        ),
        "confirm_credential on an unknown credential MUST return NotFound",
    )?;
    check(
        found(store, &old.token_hash).await? == Some(as_stored(&old))
            && found(store, &rotated.token_hash).await? == Some(as_stored(&rotated)),
        "a refused confirm_credential MUST change nothing",
    )?;
    let at = now();
    let confirmed = store
        .confirm_credential(&t, &rotated.id, at)
        .await
        .map_err(|e| format!("confirm_credential failed: {e}"))?;
    check(
        confirmed.replaces.is_none() && confirmed.id == rotated.id,
        "confirm_credential MUST return the credential without its link",
    )?;
    check(
        found(store, &old.token_hash).await?.and_then(|c| c.expires) == Some(at),
        "confirm_credential MUST end the replaced credential's grace at `at`",
    )?;
    check(
        found(store, &rotated.token_hash)
            .await?
            .is_some_and(|c| c.replaces.is_none() && c.expires.is_none()),
        "confirm_credential MUST clear the link and nothing else",
    )?;
    let again = store
        .confirm_credential(&t, &rotated.id, at + Duration::seconds(5))
        .await
        .map_err(|e| format!("confirm_credential failed: {e}"))?;
    check(
        again == confirmed
            && found(store, &old.token_hash).await?.and_then(|c| c.expires) == Some(at),
        "confirming a confirmed credential MUST change nothing",
    )?;

    // An earlier expiry stays; a token that never expired gets one.
    for (previous, expected) in [(&early, early.expires), (&never, Some(at))] {
        let next = NewCredential {
            replaces: Some(previous.id.clone()),
            ..new_credential(&t, base + Duration::seconds(2), None)
        };
        store
            .add_credential(next.clone())
            .await
            .map_err(|e| format!("add_credential failed: {e}"))?;
        store
            .confirm_credential(&t, &next.id, at)
            .await
            .map_err(|e| format!("confirm_credential failed: {e}"))?;
        check(
            found(store, &previous.token_hash)
                .await?
                .and_then(|c| c.expires)
                == expected,
            "confirm_credential MUST keep an earlier expiry and set a missing one",
        )?;
    }
    Ok(())
}

async fn credentials_expire_and_are_revoked<S: TenantStore>(store: &S) -> Result<(), String> {
    let t = TenantId(fresh());
    let base = now() - Duration::seconds(10);
    let first = new_credential(&t, base, Some(base + Duration::days(30)));
    store
        .create_tenant(
            NewTenant {
                id: t.clone(),
                name: format!("contract-{}", t.as_str()),
                created: base,
            },
            Some(first.clone()),
        )
        .await
        .map_err(|e| format!("create_tenant failed: {e}"))?;
    check(
        found(store, &first.token_hash).await? == Some(as_stored(&first)),
        "create_tenant MUST store its credential's expiry, and find_credential return it",
    )?;
    let other = tenant(store).await?;

    let later = new_credential(&t, base + Duration::seconds(1), None);
    let added = store.add_credential(later.clone()).await;
    check(
        added.as_ref().ok() == Some(&as_stored(&later)),
        "add_credential MUST return the credential as stored, not revoked",
    )?;
    check(
        found(store, &later.token_hash).await? == Some(as_stored(&later)),
        "find_credential MUST find an added credential",
    )?;
    let expired = new_credential(
        &t,
        base + Duration::seconds(2),
        Some(base + Duration::seconds(3)),
    );
    store
        .add_credential(expired.clone())
        .await
        .map_err(|e| format!("add_credential failed: {e}"))?;
    check(
        found(store, &expired.token_hash).await? == Some(as_stored(&expired)),
        "find_credential MUST return expired credentials, with their expiry",
    )?;

    let orphan = new_credential(&TenantId(fresh()), base, None);
    check(
        matches!(
            store.add_credential(orphan.clone()).await,
            Err(StoreError::NotFound)
        ),
        "add_credential for an unknown tenant MUST return NotFound",
    )?;
    check(
        found(store, &orphan.token_hash).await?.is_none(),
        "a failed add_credential MUST write nothing",
    )?;
    let same_hash = NewCredential {
        id: fresh(),
        tenant_id: other.clone(),
        ..later.clone()
    };
    check(
        matches!(
            store.add_credential(same_hash.clone()).await,
            Err(StoreError::Conflict { attribute }) if attribute == "token"
        ),
        "add_credential MUST return Conflict on token for a stored hash",
    )?;

    let listed = credentials_of(store, &t).await?;
    check(
        listed == [as_stored(&first), as_stored(&later), as_stored(&expired)],
        "list_credentials MUST list every credential of the tenant, oldest first",
    )?;
    check(
        credentials_of(store, &other).await?.is_empty(),
        "list_credentials MUST NOT list other tenants' credentials",
    )?;
    check(
        credentials_of(store, &TenantId(fresh())).await?.is_empty(),
        "an unknown tenant MUST have no credentials",
    )?;

    let until = base + Duration::hours(5);
    let set = store
        .set_credential_expiry(&t, &later.id, Some(until))
        .await
        .map_err(|e| format!("set_credential_expiry failed: {e}"))?;
    check(
        set.expires == Some(until) && set.id == later.id,
        "set_credential_expiry MUST return the credential with its new expiry",
    )?;
    check(
        found(store, &later.token_hash)
            .await?
            .is_some_and(|c| c.expires == Some(until)),
        "the expiry set MUST be stored",
    )?;
    let cleared = store.set_credential_expiry(&t, &first.id, None).await;
    check(
        cleared.is_ok_and(|c| c.expires.is_none()),
        "set_credential_expiry with None MUST clear the expiry",
    )?;
    check(
        found(store, &first.token_hash)
            .await?
            .is_some_and(|c| c.expires.is_none()),
        "a cleared expiry MUST be stored",
    )?;
    check(
        matches!(
            store
                .set_credential_expiry(&other, &later.id, Some(base))
                .await,
            Err(StoreError::NotFound)
        ),
        "set_credential_expiry on another tenant's credential MUST return NotFound",
    )?;
    check(
        matches!(
            store.set_credential_expiry(&t, &fresh(), None).await,
            Err(StoreError::NotFound)
        ),
        "set_credential_expiry on an unknown credential MUST return NotFound",
    )?;
    check(
        found(store, &later.token_hash)
            .await?
            .is_some_and(|c| c.expires == Some(until)),
        "a refused set_credential_expiry MUST change nothing",
    )?;

    let at = now();
    check(
        matches!(
            store.revoke_credential(&other, &first.id, at).await,
            Err(StoreError::NotFound)
        ),
        "revoke_credential on another tenant's credential MUST return NotFound",
    )?;
    check(
        found(store, &first.token_hash).await?.is_some(),
        "a refused revoke_credential MUST change nothing",
    )?;
    check(
        matches!(
            store.revoke_credential(&t, &fresh(), at).await,
            Err(StoreError::NotFound)
        ),
        "revoke_credential on an unknown credential MUST return NotFound",
    )?;
    let revoked = store
        .revoke_credential(&t, &first.id, at)
        .await
        .map_err(|e| format!("revoke_credential failed: {e}"))?;
    check(
        revoked.revoked == Some(at) && revoked.id == first.id,
        "revoke_credential MUST return the credential with its revocation time",
    )?;
    check(
        found(store, &first.token_hash).await?.is_none(),
        "find_credential MUST NOT return a revoked credential",
    )?;
    check(
        matches!(
            store.find_credential_with_policies(&first.token_hash).await,
            Ok(None)
        ),
        "find_credential_with_policies MUST NOT return a revoked credential",
    )?;
    check(
        found(store, &later.token_hash).await?.is_some(),
        "revoking one credential MUST leave the others",
    )?;
    let again = store
        .revoke_credential(&t, &first.id, at + Duration::seconds(5))
        .await;
    check(
        again.is_ok_and(|c| c.revoked == Some(at)),
        "revoking again MUST succeed and keep the first revocation time",
    )?;
    let listed = credentials_of(store, &t).await?;
    check(
        listed.len() == 3
            && listed[0].id == first.id
            && listed[0].revoked == Some(at)
            && listed[1].revoked.is_none(),
        "list_credentials MUST still list revoked credentials, with their revocation time",
    )?;
    Ok(())
}

async fn tenants_are_listed_found_and_deleted_without_a_trace<
    S: ResourceStore + TenantStore + WebhookStore + AuditStore,
>(
    store: &S,
) -> Result<(), String> {
    let doomed_id = TenantId(fresh());
    let doomed_name = format!("contract-{}", doomed_id.as_str());
    let doomed_credential = new_credential(&doomed_id, now(), None);
    let doomed_tenant = NewTenant {
        id: doomed_id.clone(),
        name: doomed_name.clone(),
        // Older than the next tenant, whatever the clock's resolution.
        created: now() - Duration::seconds(1),
    };
    let doomed = store
        .create_tenant(doomed_tenant.clone(), Some(doomed_credential.clone()))
        .await
        .map_err(|e| format!("create_tenant failed: {e}"))?;
    let kept = tenant(store).await?;

    let all = store
        .list_tenants()
        .await
        .map_err(|e| format!("list_tenants failed: {e}"))?;
    let place = |id: &TenantId| all.iter().position(|t| t.id == *id);
    check(
        matches!((place(&doomed_id), place(&kept)), (Some(a), Some(b)) if a < b),
        "list_tenants MUST list every tenant, oldest first",
    )?;
    check(
        all.windows(2).all(|w| w[0].created <= w[1].created),
        "list_tenants MUST be ordered by creation time",
    )?;
    check(
        store.find_tenant(&doomed_id).await.ok() == Some(Some(doomed.clone())),
        "find_tenant MUST find a tenant by id",
    )?;
    check(
        matches!(store.find_tenant(&TenantId(fresh())).await, Ok(None)),
        "find_tenant MUST return None for an unknown id",
    )?;

    // Everything a tenant can hold, in both tenants.
    let mut holdings = Vec::new();
    for t in [&doomed_id, &kept] {
        let mut u = user("trace@example.com", Some("ext-trace"));
        u.attributes.insert("title".into(), json!("left-over"));
        u.events = vec![event(EventType::UserCreated, &u.id)];
        let u = store
            .create(t, u)
            .await
            .map_err(|e| format!("create failed: {e}"))?;
        let mut g = group("Traces");
        g.members = vec![member(&u.id, ResourceKind::User)];
        let g = store
            .create(t, g)
            .await
            .map_err(|e| format!("create failed: {e}"))?;
        let gone = store
            .create(t, user("gone@example.com", None))
            .await
            .map_err(|e| format!("create failed: {e}"))?;
        store
            .delete(
                t,
                ResourceKind::User,
                &gone.id,
                None,
                now(),
                vec![event(EventType::UserDeleted, &gone.id)],
            )
            .await
            .map_err(|e| format!("delete failed: {e}"))?;
        store
            .set_policies(
                t,
                TenantPolicies {
                    delete_mode: Some(DeleteMode::Hard),
                    ..TenantPolicies::default()
                },
            )
            .await
            .map_err(|e| format!("set_policies failed: {e}"))?;
        let hook = store
            .create_webhook(new_webhook(t, now(), Some(0)))
            .await
            .map_err(|e| format!("create_webhook failed: {e}"))?;
        record(store, "trace", &hook, 1, true).await?;
        store
            .record_audit(audit_entry(t, now()))
            .await
            .map_err(|e| format!("record_audit failed: {e}"))?;
        holdings.push((u.id, g.id, gone.id));
    }
    let kept_credential = new_credential(&kept, now(), None);
    store
        .add_credential(kept_credential.clone())
        .await
        .map_err(|e| format!("add_credential failed: {e}"))?;
    // OAuth clients and trusted issuers, in both tenants.
    let issuer = format!("https://idp.example.com/{}/", fresh());
    let doomed_client = new_client(&doomed_id, now());
    let kept_client = new_client(&kept, now());
    let doomed_trust = trust(
        &doomed_id,
        &issuer,
        "doomed",
        JwksLocation::Url(format!("{issuer}keys")),
    );
    let kept_trust = trust(
        &kept,
        &issuer,
        "kept",
        JwksLocation::Url(format!("{issuer}keys")),
    );
    for c in [&doomed_client, &kept_client] {
        store
            .create_client(c.clone())
            .await
            .map_err(|e| format!("create_client failed: {e}"))?;
    }
    for t in [&doomed_trust, &kept_trust] {
        store
            .add_jwt_trust(t.clone())
            .await
            .map_err(|e| format!("add_jwt_trust failed: {e}"))?;
    }
    let kept_events = store
        .events(&kept, 0, 100)
        .await
        .map_err(|e| format!("events failed: {e}"))?;

    check(
        matches!(
            store.delete_tenant(&TenantId(fresh())).await,
            Err(StoreError::NotFound)
        ),
        "delete_tenant of an unknown tenant MUST return NotFound",
    )?;
    store
        .delete_tenant(&doomed_id)
        .await
        .map_err(|e| format!("delete_tenant failed: {e}"))?;

    // Nothing of the deleted tenant is left to any port method.
    let (user_id, group_id, gone_id) = &holdings[0];
    check(
        matches!(store.find_tenant(&doomed_id).await, Ok(None))
            && matches!(store.find_tenant_by_name(&doomed_name).await, Ok(None)),
        "a deleted tenant MUST no longer be found",
    )?;
    let all = store
        .list_tenants()
        .await
        .map_err(|e| format!("list_tenants failed: {e}"))?;
    check(
        !all.iter().any(|t| t.id == doomed_id) && all.iter().any(|t| t.id == kept),
        "list_tenants MUST NOT list a deleted tenant, and still list the others",
    )?;
    check(
        found(store, &doomed_credential.token_hash).await?.is_none()
            && credentials_of(store, &doomed_id).await?.is_empty(),
        "a deleted tenant's credentials MUST be gone",
    )?;
    check(
        matches!(store.find_client(&doomed_client.id).await, Ok(None))
            && store
                .list_clients(&doomed_id)
                .await
                .is_ok_and(|c| c.is_empty()),
        "a deleted tenant's OAuth clients MUST be gone",
    )?;
    check(
        store
            .find_jwt_trusts(&issuer)
            .await
            .is_ok_and(|t| t == [kept_trust.clone()])
            && store
                .list_jwt_trusts(&doomed_id)
                .await
                .is_ok_and(|t| t.is_empty()),
        "a deleted tenant's trusted issuers MUST be gone, and only its own",
    )?;
    check(
        matches!(store.find_client(&kept_client.id).await, Ok(Some(_))),
        "delete_tenant MUST leave other tenants' OAuth clients",
    )?;
    check(
        matches!(
            store.get(&doomed_id, ResourceKind::User, user_id).await,
            Ok(None)
        ) && matches!(
            store.get(&doomed_id, ResourceKind::Group, group_id).await,
            Ok(None)
        ),
        "a deleted tenant's resources MUST be gone",
    )?;
    let listed = store
        .query(
            &doomed_id,
            ResourceKind::User,
            &query(None, None, SortOrder::Ascending)?,
        )
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    check(
        listed.total_results == 0,
        "a deleted tenant MUST have no resources to query",
    )?;
    let leftovers = store
        .existing(
            &doomed_id,
            &[user_id.clone(), group_id.clone(), gone_id.clone()],
        )
        .await
        .map_err(|e| format!("existing failed: {e}"))?;
    check(
        leftovers.is_empty(),
        "a deleted tenant's resources MUST be gone",
    )?;
    check(
        store
            .events(&doomed_id, 0, 100)
            .await
            .is_ok_and(|e| e.is_empty()),
        "a deleted tenant's events MUST be gone",
    )?;
    check(
        store
            .policies(&doomed_id)
            .await
            .is_ok_and(|p| p == TenantPolicies::default()),
        "a deleted tenant's policies MUST be gone",
    )?;
    check(
        store
            .list_webhooks(&doomed_id)
            .await
            .is_ok_and(|w| w.is_empty())
            && store
                .audit(&doomed_id, 0, 100)
                .await
                .is_ok_and(|a| a.is_empty()),
        "a deleted tenant's webhooks and audit entries MUST be gone",
    )?;
    let theirs = store
        .list_webhooks(&kept)
        .await
        .map_err(|e| format!("list_webhooks failed: {e}"))?;
    check(
        theirs.len() == 1
            && store
                .attempts(&kept, &theirs[0].id, 10)
                .await
                .is_ok_and(|a| a.len() == 1)
            && store.audit(&kept, 0, 100).await.is_ok_and(|a| a.len() == 1),
        "delete_tenant MUST leave other tenants' webhooks, attempts and audit entries",
    )?;
    // Leave no due webhook behind for servers sharing the database.
    store
        .delete_webhook(&kept, &theirs[0].id)
        .await
        .map_err(|e| format!("delete_webhook failed: {e}"))?;
    check(
        matches!(
            store
                .set_policies(&doomed_id, TenantPolicies::default())
                .await,
            Err(StoreError::NotFound)
        ) && matches!(
            store
                .add_credential(new_credential(&doomed_id, now(), None))
                .await,
            Err(StoreError::NotFound)
        ) && matches!(
            store
                .revoke_credential(&doomed_id, &doomed_credential.id, now())
                .await,
            Err(StoreError::NotFound)
        ),
        "a deleted tenant MUST be unknown to set_policies, add_credential and revoke_credential",
    )?;
    check(
        matches!(
            store.delete_tenant(&doomed_id).await,
            Err(StoreError::NotFound)
        ),
        "deleting a deleted tenant again MUST return NotFound",
    )?;

    // The other tenant is untouched.
    let (their_user, their_group, _) = &holdings[1];
    check(
        store.find_tenant(&kept).await.is_ok_and(|t| t.is_some())
            && found(store, &kept_credential.token_hash).await?.is_some(),
        "delete_tenant MUST leave other tenants and their credentials",
    )?;
    check(
        matches!(
            store.get(&kept, ResourceKind::User, their_user).await,
            Ok(Some(_))
        ) && member_ids(store, &kept, their_group).await? == [their_user.clone()],
        "delete_tenant MUST leave other tenants' resources and memberships",
    )?;
    check(
        store.events(&kept, 0, 100).await.ok() == Some(kept_events),
        "delete_tenant MUST leave other tenants' events",
    )?;
    check(
        store
            .policies(&kept)
            .await
            .is_ok_and(|p| p.delete_mode == Some(DeleteMode::Hard)),
        "delete_tenant MUST leave other tenants' policies",
    )?;
    let filtered = query(Some(r#"title eq "left-over""#), None, SortOrder::Ascending)?;
    check(
        user_names(store, &kept, &filtered).await? == ["trace@example.com"],
        "delete_tenant MUST leave other tenants' index rows",
    )?;

    // The same tenant again (same id, name and token) starts empty: even
    // rows no port method reads directly (index rows, memberships of
    // deleted resources) are gone.
    let again: Tenant = store
        .create_tenant(doomed_tenant, Some(doomed_credential.clone()))
        .await
        .map_err(|e| format!("a deleted tenant's name, id and token MUST be free again: {e}"))?;
    check(
        credentials_of(store, &doomed_id).await? == [as_stored(&doomed_credential)],
        "a re-created tenant MUST have only its new credential",
    )?;
    check(
        store
            .list_clients(&again.id)
            .await
            .is_ok_and(|c| c.is_empty())
            && store
                .list_jwt_trusts(&again.id)
                .await
                .is_ok_and(|t| t.is_empty()),
        "a re-created tenant MUST start without clients and trusts",
    )?;
    store
        .create_client(doomed_client.clone())
        .await
        .map_err(|e| format!("a deleted tenant's client ids MUST be free again: {e}"))?;
    store
        .add_jwt_trust(doomed_trust.clone())
        .await
        .map_err(|e| format!("a deleted tenant's issuer and audience MUST be free again: {e}"))?;
    check(
        store
            .events(&again.id, 0, 100)
            .await
            .is_ok_and(|e| e.is_empty())
            && store
                .policies(&again.id)
                .await
                .is_ok_and(|p| p == TenantPolicies::default()),
        "a re-created tenant MUST start without events and policies",
    )?;
    for (id, kind) in [
        (user_id, ResourceKind::User),
        (group_id, ResourceKind::Group),
        (gone_id, ResourceKind::User),
    ] {
        let mut new = match kind {
            ResourceKind::Group => group("Traces"),
            _ => user(&format!("{id}@example.com"), None),
        };
        new.id = id.clone();
        store
            .create(&again.id, new)
            .await
            .map_err(|e| format!("a deleted tenant's resource ids MUST be free again, got {e}"))?;
    }
    check(
        member_ids(store, &again.id, group_id).await?.is_empty()
            && store
                .groups_of(&again.id, user_id)
                .await
                .is_ok_and(|g| g.is_empty()),
        "a deleted tenant's memberships MUST be gone",
    )?;
    check(
        user_names(store, &again.id, &filtered).await?.is_empty(),
        "a deleted tenant's index rows MUST be gone",
    )?;
    check(
        store
            .create(&again.id, user("trace@example.com", None))
            .await
            .is_ok(),
        "a deleted tenant's unique keys MUST be free again",
    )?;
    Ok(())
}

fn new_webhook(tenant: &TenantId, created: DateTime<Utc>, after: Option<u64>) -> NewWebhook {
    NewWebhook {
        id: fresh(),
        tenant_id: tenant.clone(),
        url: "http://receiver.invalid/hook".to_owned(),
        secret: format!("whsec_{}", fresh()),
        created,
        after,
    }
}

fn audit_entry(tenant: &TenantId, at: DateTime<Utc>) -> NewAuditEntry {
    NewAuditEntry {
        tenant_id: tenant.clone(),
        at,
        credential_id: fresh(),
        request_id: fresh(),
        method: "PATCH".to_owned(),
        path: "/scim/v2/Users/x".to_owned(),
        resource_type: Some("User".to_owned()),
        resource_id: Some("x".to_owned()),
        status: 200,
    }
}

/// Ends `owner`'s claim of `hook`: delivered through `through` (or failed
/// once when `!ok`), with an attempt made now, due again in a thousand
/// years. Returns what the store said.
async fn record<S: WebhookStore>(
    store: &S,
    owner: &str,
    hook: &Webhook,
    through: u64,
    ok: bool,
) -> Result<bool, String> {
    record_due(
        store,
        owner,
        hook,
        through,
        ok,
        now() + Duration::days(365 * 1000),
    )
    .await
}

async fn record_due<S: WebhookStore>(
    store: &S,
    owner: &str,
    hook: &Webhook,
    through: u64,
    ok: bool,
    next_attempt: DateTime<Utc>,
) -> Result<bool, String> {
    store
        .record_attempt(
            owner,
            WebhookProgress {
                tenant_id: hook.tenant_id.clone(),
                webhook_id: hook.id.clone(),
                delivered_through: if ok { through } else { hook.delivered_through },
                failures: if ok { 0 } else { hook.failures + 1 },
                next_attempt,
                attempt: Some(WebhookAttempt {
                    id: 0,
                    webhook_id: hook.id.clone(),
                    at: now(),
                    first_sequence: hook.delivered_through + 1,
                    last_sequence: through,
                    status: ok.then_some(204),
                    error: (!ok).then(|| "connection refused".to_owned()),
                    duration_ms: 12,
                }),
            },
        )
        .await
        .map_err(|e| format!("record_attempt failed: {e}"))
}

/// Claims at `at` until `until` for `owner`, passing over (and so leasing)
/// webhooks of other tenants that a database shared with earlier runs may
/// hold, until one of `tenant`'s comes or none is due.
pub async fn claim_own<S: WebhookStore>(
    store: &S,
    tenant: &TenantId,
    at: DateTime<Utc>,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<Option<Webhook>, String> {
    for _ in 0..10_000 {
        match store.claim_webhook(at, owner, until).await {
            Ok(Some(hook)) if hook.tenant_id == *tenant => return Ok(Some(hook)),
            Ok(Some(_)) => {}
            Ok(None) => return Ok(None),
            Err(e) => return Err(format!("claim_webhook failed: {e}")),
        }
    }
    Err("claim_webhook keeps returning other tenants' webhooks".to_owned())
}

/// A unique instant in the past: webhooks due then are due to no server
/// running now, and to no other run of the kit.
pub fn past_instant() -> DateTime<Utc> {
    let mut bytes = [0u8; 4];
    let offset = match getrandom::fill(&mut bytes) {
        Ok(()) => i64::from(u32::from_le_bytes(bytes)),
        Err(_) => 0,
    };
    // Between 1971 and 2107 would do; keep it before today.
    (DateTime::<Utc>::UNIX_EPOCH + Duration::days(365) + Duration::seconds(offset % 1_500_000_000))
        .trunc_subsecs(6)
}

async fn webhooks_are_stored_listed_and_deleted_per_tenant<
    S: ResourceStore + TenantStore + WebhookStore,
>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    check(
        matches!(
            store
                .create_webhook(new_webhook(&TenantId(fresh()), now(), None))
                .await,
            Err(StoreError::NotFound)
        ),
        "create_webhook MUST return NotFound for an unknown tenant",
    )?;
    let empty = store
        .create_webhook(new_webhook(&t, now(), None))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    check(
        empty.delivered_through == 0,
        "a webhook of a tenant without events MUST start at 0",
    )?;
    let mut u = user("hooked@example.com", None);
    u.events = vec![event(EventType::UserCreated, &u.id)];
    store
        .create(&t, u)
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let last = store
        .events(&t, 0, 100)
        .await
        .map_err(|e| format!("events failed: {e}"))?
        .last()
        .map(|e| e.sequence)
        .unwrap_or_default();
    let created = now() + Duration::seconds(1);
    let new = new_webhook(&t, created, None);
    let hook = store
        .create_webhook(new.clone())
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    check(
        hook == Webhook {
            id: new.id.clone(),
            tenant_id: t.clone(),
            url: new.url.clone(),
            secret: new.secret.clone(),
            created,
            disabled: None,
            delivered_through: last,
            next_attempt: created,
            failures: 0,
            lease: None,
        },
        "create_webhook MUST store the webhook, due at creation, from the tenant's last event",
    )?;
    let replay = store
        .create_webhook(new_webhook(&t, created + Duration::seconds(1), Some(0)))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    check(
        replay.delivered_through == 0,
        "create_webhook MUST start after `after` when it is given",
    )?;
    let theirs = store
        .create_webhook(new_webhook(&other, now(), None))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    let listed = store
        .list_webhooks(&t)
        .await
        .map_err(|e| format!("list_webhooks failed: {e}"))?;
    check(
        listed.iter().map(|w| &w.id).collect::<Vec<_>>() == [&empty.id, &hook.id, &replay.id]
            && listed[1] == hook,
        "list_webhooks MUST list the tenant's webhooks, oldest first, and no other's",
    )?;

    check(
        matches!(
            store.delete_webhook(&t, &theirs.id).await,
            Err(StoreError::NotFound)
        ) && matches!(
            store.attempts(&t, &theirs.id, 10).await,
            Err(StoreError::NotFound)
        ) && matches!(
            store.delete_webhook(&t, &fresh()).await,
            Err(StoreError::NotFound)
        ),
        "another tenant's or an unknown webhook MUST be NotFound",
    )?;
    check(
        store
            .list_webhooks(&other)
            .await
            .is_ok_and(|w| w == [theirs.clone()]),
        "a webhook MUST stay untouched when another tenant deletes it",
    )?;
    // Attempts: newest first, limited; purge keeps pending batches.
    let at = past_instant();
    let mut due = new_webhook(&t, at, Some(0));
    due.created = at;
    let due = store
        .create_webhook(due)
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    let claimed = claim_own(store, &t, at, "a", at + Duration::seconds(60))
        .await?
        .ok_or("a due webhook MUST be claimable")?;
    check(
        claimed.id == due.id,
        "claim_webhook MUST return the due webhook",
    )?;
    check(
        record_due(store, "a", &claimed, 1, false, at).await?,
        "the lease holder MUST be able to record its attempt",
    )?;
    let again = claim_own(store, &t, at, "a", at + Duration::seconds(60))
        .await?
        .ok_or("a released, due webhook MUST be claimable again")?;
    check(
        again.failures == 1 && again.delivered_through == 0,
        "record_attempt MUST store the failures",
    )?;
    record(store, "a", &again, 2, true).await?;
    let attempts = store
        .attempts(&t, &due.id, 10)
        .await
        .map_err(|e| format!("attempts failed: {e}"))?;
    check(
        attempts.len() == 2
            && attempts[0].status == Some(204)
            && attempts[0].last_sequence == 2
            && attempts[1].error.as_deref() == Some("connection refused")
            && attempts[1].status.is_none()
            && attempts[0].id > attempts[1].id
            && attempts
                .iter()
                .all(|a| a.webhook_id == due.id && a.duration_ms == 12),
        "attempts MUST list every recorded attempt, newest first",
    )?;
    check(
        store
            .attempts(&t, &due.id, 1)
            .await
            .is_ok_and(|a| a.len() == 1 && a[0].id == attempts[0].id),
        "attempts MUST return at most `limit`",
    )?;
    let kept = store
        .purge_attempts(&t, now() - Duration::days(1))
        .await
        .map_err(|e| format!("purge_attempts failed: {e}"))?;
    let purged = store
        .purge_attempts(&t, now() + Duration::days(1))
        .await
        .map_err(|e| format!("purge_attempts failed: {e}"))?;
    check(
        kept == 0 && purged == 2,
        "purge_attempts MUST remove delivered attempts made before the instant, only",
    )?;
    store
        .delete_webhook(&t, &due.id)
        .await
        .map_err(|e| format!("delete_webhook failed: {e}"))?;
    check(
        matches!(
            store.attempts(&t, &due.id, 10).await,
            Err(StoreError::NotFound)
        ) && !store
            .list_webhooks(&t)
            .await
            .is_ok_and(|w| w.iter().any(|x| x.id == due.id)),
        "delete_webhook MUST remove the webhook",
    )?;
    check(
        matches!(record(store, "a", &claimed, 9, true).await, Ok(false)),
        "record_attempt MUST return false for a deleted webhook",
    )?;
    // Leave no due webhook behind for servers sharing the database.
    for (owner, id) in [
        (&t, &empty.id),
        (&t, &hook.id),
        (&t, &replay.id),
        (&other, &theirs.id),
    ] {
        store
            .delete_webhook(owner, id)
            .await
            .map_err(|e| format!("delete_webhook failed: {e}"))?;
    }
    Ok(())
}

async fn webhook_leases_are_exclusive_and_expire<S: ResourceStore + TenantStore + WebhookStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let at = past_instant();
    let hook = store
        .create_webhook(new_webhook(&t, at, Some(0)))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    check(
        claim_own(store, &t, at - Duration::seconds(1), "a", at)
            .await?
            .is_none(),
        "claim_webhook MUST NOT return a webhook before it is due",
    )?;
    let lease = at + Duration::seconds(60);
    let first = claim_own(store, &t, at, "a", lease)
        .await?
        .ok_or("claim_webhook MUST return a due webhook")?;
    check(
        first.id == hook.id
            && first
                .lease
                .as_ref()
                .is_some_and(|l| l.owner == "a" && l.until == lease),
        "claim_webhook MUST return the webhook with the caller's lease",
    )?;
    for (who, when) in [("b", at), ("a", at + Duration::seconds(59))] {
        check(
            claim_own(store, &t, when, who, lease).await?.is_none(),
            "a webhook whose lease has not expired MUST NOT be claimed, even by its holder",
        )?;
    }
    // "a" stalls; its lease expires and "b" takes over.
    let taken = claim_own(store, &t, lease, "b", lease + Duration::seconds(60))
        .await?
        .ok_or("an expired lease MUST be taken over")?;
    check(
        taken.lease.as_ref().is_some_and(|l| l.owner == "b"),
        "the new holder MUST hold the lease",
    )?;
    check(
        !record(store, "a", &first, 7, true).await?,
        "a stale owner's record_attempt MUST return false",
    )?;
    let after_stale = store
        .list_webhooks(&t)
        .await
        .map_err(|e| format!("list_webhooks failed: {e}"))?;
    check(
        after_stale.len() == 1
            && after_stale[0].delivered_through == 0
            && after_stale[0].failures == 0
            && after_stale[0].next_attempt == at
            && after_stale[0]
                .lease
                .as_ref()
                .is_some_and(|l| l.owner == "b"),
        "a stale owner MUST NOT advance the cursor, change the schedule or release the lease",
    )?;
    check(
        store
            .attempts(&t, &hook.id, 10)
            .await
            .is_ok_and(|a| a.len() == 1 && a[0].last_sequence == 7),
        "a stale owner's attempt MUST still be recorded",
    )?;
    check(
        record(store, "b", &taken, 3, false).await?,
        "the holder's record_attempt MUST return true",
    )?;
    let done = store
        .list_webhooks(&t)
        .await
        .map_err(|e| format!("list_webhooks failed: {e}"))?;
    check(
        done.len() == 1
            && done[0].delivered_through == 0
            && done[0].failures == 1
            && done[0].lease.is_none()
            && done[0].next_attempt > now(),
        "record_attempt MUST store the progress and release the lease",
    )?;
    check(
        claim_own(store, &t, lease + Duration::seconds(120), "c", lease)
            .await?
            .is_none(),
        "a webhook MUST NOT be claimed before its next attempt",
    )?;
    store
        .delete_webhook(&t, &hook.id)
        .await
        .map_err(|e| format!("delete_webhook failed: {e}"))?;
    Ok(())
}

async fn webhooks_switch_off_and_on_per_tenant<S: ResourceStore + TenantStore + WebhookStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    let at = past_instant();
    let hook = store
        .create_webhook(new_webhook(&t, at, Some(0)))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    let theirs = store
        .create_webhook(new_webhook(&other, now(), None))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    for (id, disabled) in [
        (theirs.id.as_str(), Some(now())),
        (theirs.id.as_str(), None),
        (&fresh(), Some(now())),
        (&fresh(), None),
    ] {
        check(
            matches!(
                store.set_webhook_disabled(&t, id, disabled, now()).await,
                Err(StoreError::NotFound)
            ),
            "set_webhook_disabled MUST return NotFound for an unknown or another tenant's webhook",
        )?;
    }
    check(
        store
            .list_webhooks(&other)
            .await
            .is_ok_and(|w| w == [theirs.clone()]),
        "another tenant's webhook MUST stay untouched",
    )?;

    // A failure, then a claim: a replica is delivering when it is switched off.
    let lease = at + Duration::seconds(60);
    let claimed = claim_own(store, &t, at, "a", lease)
        .await?
        .ok_or("a due webhook MUST be claimable")?;
    record_due(store, "a", &claimed, 1, false, at).await?;
    let claimed = claim_own(store, &t, at, "a", lease)
        .await?
        .ok_or("a due webhook MUST be claimable")?;
    let off = now() - Duration::seconds(5);
    let disabled = store
        .set_webhook_disabled(&t, &hook.id, Some(off), now())
        .await
        .map_err(|e| format!("set_webhook_disabled failed: {e}"))?;
    check(
        disabled
            == Webhook {
                disabled: Some(off),
                ..claimed.clone()
            },
        "switching off MUST set `disabled` and change nothing else, the lease included",
    )?;
    let again = store
        .set_webhook_disabled(&t, &hook.id, Some(now()), now())
        .await
        .map_err(|e| format!("set_webhook_disabled failed: {e}"))?;
    check(
        again.disabled == Some(off),
        "switching off a disabled webhook MUST keep when it was switched off",
    )?;
    check(
        record_due(store, "a", &claimed, 1, false, at).await?,
        "the lease holder MUST be able to record its attempt after a switch-off",
    )?;
    let finished = store
        .list_webhooks(&t)
        .await
        .map_err(|e| format!("list_webhooks failed: {e}"))?;
    check(
        finished.len() == 1
            && finished[0].failures == 2
            && finished[0].lease.is_none()
            && finished[0].disabled == Some(off),
        "record_attempt MUST store the holder's progress and keep the webhook off",
    )?;
    check(
        claim_own(store, &t, at + Duration::seconds(120), "b", lease)
            .await?
            .is_none(),
        "a disabled webhook MUST NOT be claimed, however due",
    )?;

    let on = at + Duration::seconds(1);
    let enabled = store
        .set_webhook_disabled(&t, &hook.id, None, on)
        .await
        .map_err(|e| format!("set_webhook_disabled failed: {e}"))?;
    check(
        enabled
            == Webhook {
                disabled: None,
                failures: 0,
                next_attempt: on,
                ..finished[0].clone()
            },
        "switching on MUST clear `disabled` and the failures, make the webhook due at `now` \
         and keep its cursor",
    )?;
    let taken = claim_own(store, &t, on, "c", on + Duration::seconds(60))
        .await?
        .ok_or("a webhook switched on MUST be due at once")?;
    store
        .set_webhook_disabled(&t, &hook.id, Some(on), on)
        .await
        .map_err(|e| format!("set_webhook_disabled failed: {e}"))?;
    let reenabled = store
        .set_webhook_disabled(&t, &hook.id, None, on)
        .await
        .map_err(|e| format!("set_webhook_disabled failed: {e}"))?;
    check(
        reenabled.lease == taken.lease
            && claim_own(store, &t, on, "d", on + Duration::seconds(60))
                .await?
                .is_none(),
        "switching on MUST keep a held lease: its holder may still be delivering",
    )?;
    for (owner, id) in [(&t, &hook.id), (&other, &theirs.id)] {
        store
            .delete_webhook(owner, id)
            .await
            .map_err(|e| format!("delete_webhook failed: {e}"))?;
    }
    Ok(())
}

/// `b - a`, field by field, as signed numbers.
fn backlog_change(a: WebhookBacklog, b: WebhookBacklog) -> [i128; 4] {
    let d = |x: u64, y: u64| i128::from(y) - i128::from(x);
    [
        d(a.pending_events, b.pending_events),
        d(a.active, b.active),
        d(a.failing, b.failing),
        d(a.disabled, b.disabled),
    ]
}

async fn the_webhook_backlog_spans_every_tenant<S: ResourceStore + TenantStore + WebhookStore>(
    store: &S,
) -> Result<(), String> {
    // The backlog spans every tenant of a database other runs may share:
    // the checks compare before and after, and a change made by someone
    // else in between is retried rather than reported.
    let mut broken = String::new();
    for _ in 0..3 {
        match backlog_follows_events_cursors_and_states(store).await {
            Ok(()) => return Ok(()),
            Err(e) => broken = e,
        }
    }
    Err(broken)
}

async fn backlog_follows_events_cursors_and_states<
    S: ResourceStore + TenantStore + WebhookStore,
>(
    store: &S,
) -> Result<(), String> {
    const FAILING_AFTER: u32 = 3;
    let backlog = async || {
        store
            .webhook_backlog(FAILING_AFTER)
            .await
            .map_err(|e| format!("webhook_backlog failed: {e}"))
    };
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    for (owner, n) in [(&t, 3), (&other, 1)] {
        for i in 0..n {
            let mut u = user(&format!("backlog-{i}@example.com"), None);
            u.events = vec![event(EventType::UserCreated, &u.id)];
            store
                .create(owner, u)
                .await
                .map_err(|e| format!("create failed: {e}"))?;
        }
    }
    let last = store
        .events(&t, 0, 100)
        .await
        .map_err(|e| format!("events failed: {e}"))?
        .last()
        .map(|e| e.sequence)
        .unwrap_or_default();
    let at = past_instant();
    let before = backlog().await?;
    // Failing, of another tenant: its 1 pending event is counted. (Made
    // first: claiming passes over, and leases, other due webhooks.)
    let failing = store
        .create_webhook(new_webhook(&other, at, Some(0)))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    for _ in 0..FAILING_AFTER {
        let claimed = claim_own(store, &other, at, "a", at + Duration::seconds(60))
            .await?
            .ok_or("a due webhook MUST be claimable")?;
        record_due(store, "a", &claimed, 0, false, at).await?;
    }
    // Active: 3 events pending; due at a past instant.
    let everything = store
        .create_webhook(new_webhook(&t, at, Some(0)))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    // Active: 1 pending, not due for a long time.
    let later = now() + Duration::days(365 * 1000);
    let one = store
        .create_webhook(new_webhook(&t, later, Some(last.saturating_sub(1))))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    // Disabled: its 3 pending events are not counted.
    let off = store
        .create_webhook(new_webhook(&t, at, Some(0)))
        .await
        .map_err(|e| format!("create_webhook failed: {e}"))?;
    store
        .set_webhook_disabled(&t, &off.id, Some(now()), now())
        .await
        .map_err(|e| format!("set_webhook_disabled failed: {e}"))?;
    let with = backlog().await?;
    let added = backlog_change(before, with);
    // The first delivers everything.
    let claimed = claim_own(store, &t, at, "a", at + Duration::seconds(60))
        .await?
        .ok_or("a due webhook MUST be claimable")?;
    record(store, "a", &claimed, last, true).await?;
    let delivered = backlog_change(with, backlog().await?);
    for (owner, id) in [
        (&t, &everything.id),
        (&t, &one.id),
        (&t, &off.id),
        (&other, &failing.id),
    ] {
        store
            .delete_webhook(owner, id)
            .await
            .map_err(|e| format!("delete_webhook failed: {e}"))?;
    }
    check(
        added == [3 + 1 + 1, 2, 1, 1],
        &format!(
            "webhook_backlog MUST count the pending events of enabled webhooks of every \
             tenant, and the active, failing and disabled webhooks (changed by {added:?})"
        ),
    )?;
    check(
        delivered == [-3, 0, 0, 0],
        &format!(
            "webhook_backlog MUST count only the events after a webhook's cursor \
             (changed by {delivered:?})"
        ),
    )
}

async fn the_audit_log_appends_pages_and_purges_per_tenant<S: TenantStore + AuditStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let other = tenant(store).await?;
    check(
        matches!(
            store
                .record_audit(audit_entry(&TenantId(fresh()), now()))
                .await,
            Err(StoreError::NotFound)
        ),
        "record_audit MUST return NotFound for an unknown tenant",
    )?;
    let old = audit_entry(&t, now() - Duration::days(10));
    let mut new = audit_entry(&t, now());
    new.resource_type = None;
    new.resource_id = None;
    new.method = "POST".to_owned();
    new.status = 201;
    let mut ids = Vec::new();
    for entry in [&old, &audit_entry(&other, now()), &new] {
        ids.push(
            store
                .record_audit(entry.clone())
                .await
                .map_err(|e| format!("record_audit failed: {e}"))?,
        );
    }
    check(
        ids.windows(2).all(|w| w[0] < w[1]),
        "audit ids MUST grow with every entry",
    )?;
    let all = store
        .audit(&t, 0, 100)
        .await
        .map_err(|e| format!("audit failed: {e}"))?;
    check(
        all.len() == 2
            && all[0].id == ids[0]
            && all[0].entry == old
            && all[1].id == ids[2]
            && all[1].entry == new,
        "audit MUST return the tenant's entries as recorded, oldest first, and no other's",
    )?;
    check(
        store
            .audit(&t, ids[0], 1)
            .await
            .is_ok_and(|a| a.len() == 1 && a[0].id == ids[2])
            && store.audit(&t, 0, 1).await.is_ok_and(|a| a.len() == 1),
        "audit MUST page after the cursor, at most `limit`",
    )?;
    let purged = store
        .purge_audit(&t, now() - Duration::days(1))
        .await
        .map_err(|e| format!("purge_audit failed: {e}"))?;
    check(
        purged == 1
            && store
                .audit(&t, 0, 100)
                .await
                .is_ok_and(|a| a.len() == 1 && a[0].id == ids[2])
            && store
                .audit(&other, 0, 100)
                .await
                .is_ok_and(|a| a.len() == 1),
        "purge_audit MUST remove only the tenant's entries older than the instant",
    )?;
    Ok(())
}

/// A tenant's schema extension of Users, as an operator would load it.
fn badge_schema() -> scim_schema::SchemaDef {
    scim_schema::SchemaDef {
        id: "urn:example:params:scim:schemas:extension:badge:2.0:User".into(),
        name: "Badge".into(),
        description: "Building access".into(),
        attributes: vec![
            scim_schema::AttributeDef::new("badgeNumber", scim_schema::AttributeType::String),
            scim_schema::AttributeDef::new("floor", scim_schema::AttributeType::Integer),
        ],
    }
}

/// The schema of a configured resource type: devices with a unique serial.
fn device_schemas() -> scim_filter::Schemas {
    let mut serial = scim_schema::AttributeDef::new("serial", scim_schema::AttributeType::String);
    serial.uniqueness = scim_schema::Uniqueness::Server;
    scim_filter::Schemas::new(
        scim_schema::SchemaDef {
            id: "urn:example:params:scim:schemas:core:2.0:Device".into(),
            name: "Device".into(),
            description: String::new(),
            attributes: vec![
                serial,
                scim_schema::AttributeDef::new("model", scim_schema::AttributeType::String),
            ],
        },
        std::iter::empty(),
    )
}

fn device(kind: ResourceKind, serial: &str, model: &str) -> NewResource {
    let mut attributes = Map::new();
    attributes.insert("serial".into(), json!(serial));
    attributes.insert("model".into(), json!(model));
    NewResource {
        id: fresh(),
        kind,
        external_id: None,
        unique_key: Some(serial.to_lowercase()),
        attributes,
        members: Vec::new(),
        created: now(),
        events: Vec::new(),
    }
}

async fn configured_kinds_are_stored_like_the_built_in_ones<S: ResourceStore + TenantStore>(
    store: &S,
) -> Result<(), String> {
    let t = tenant(store).await?;
    let devices = ResourceKind::named("Device");
    let mut first = device(devices, "SN-1", "laptop");
    first.events = vec![Event {
        resource_kind: devices,
        ..event(EventType::ResourceCreated, &first.id)
    }];
    let created = store
        .create(&t, first)
        .await
        .map_err(|e| format!("create of a configured kind failed: {e}"))?;
    check(
        created.kind == devices,
        "a configured kind MUST be stored and returned under its name",
    )?;
    let read = store
        .get(&t, devices, &created.id)
        .await
        .map_err(|e| format!("get failed: {e}"))?;
    check(
        read.as_ref() == Some(&created),
        "a configured kind's resource MUST read back as created",
    )?;
    check(
        store
            .get(&t, ResourceKind::User, &created.id)
            .await
            .is_ok_and(|r| r.is_none()),
        "get MUST return None for a configured kind's resource asked as a user",
    )?;
    // Its unique key is its own kind's: a user with the same key is fine.
    let twin = store.create(&t, device(devices, "sn-1", "phone")).await;
    check(
        matches!(twin, Err(StoreError::Conflict { .. })),
        "a configured kind's unique key MUST conflict within the kind",
    )?;
    store
        .create(&t, user("sn-1", None))
        .await
        .map_err(|e| format!("a user MUST NOT collide with a device's key: {e}"))?;
    store
        .create(&t, device(devices, "SN-2", "phone"))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    let mut q = query(Some(r#"model eq "PHONE""#), None, SortOrder::Ascending)?;
    q.schemas = Arc::new(device_schemas());
    let page = store
        .query(&t, devices, &q)
        .await
        .map_err(|e| format!("a configured kind's query failed: {e}"))?;
    check(
        page.total_results == 1
            && page.resources.first().map(|r| &r.attributes["serial"]) == Some(&json!("SN-2")),
        "a configured kind MUST be filtered by its own attributes, and only its resources",
    )?;
    let events = store
        .events(&t, 0, 10)
        .await
        .map_err(|e| format!("events failed: {e}"))?;
    check(
        events.first().is_some_and(|e| {
            e.event.resource_kind == devices && e.event.event_type == EventType::ResourceCreated
        }),
        "a configured kind's events MUST round-trip with its name",
    )?;
    let members = store
        .existing(&t, std::slice::from_ref(&created.id))
        .await
        .map_err(|e| format!("existing failed: {e}"))?;
    check(
        members.iter().all(|m| m.kind == devices),
        "existing MUST report a configured kind's resource under its own kind",
    )?;
    Ok(())
}
