//! What queries cost on SQLite at a million users (Criterion).
//!
//! Seeds a SQLite file through the core's services (as the server writes),
//! once: it is kept under the cargo target directory and reused while it
//! holds the expected data. Then measures, through `ResourceService` as a
//! request does: `userName eq`, `externalId eq`, a value-path filter on
//! `emails`, a page of 100 deep in the list by cursor (and, to compare, by
//! `startIndex`), and adding 100 members to a group that already has
//! 100,000.
//!
//! ```text
//! cargo bench -p scim-adapter-seaorm --bench million
//! SCIM_BENCH_USERS=100000 SCIM_BENCH_GROUP=10000 cargo bench -p scim-adapter-seaorm --bench million
//! ```
//!
//! Seeding a million users takes several minutes the first time.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::ports::{SystemClock, UuidV7Ids};
use scim_core::{
    AuthService, BootstrapOutcome, ListRequest, Member, MemberChange, ResourceKind,
    ResourceService, TenantId,
};
use serde_json::json;
use tokio::runtime::Runtime;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

struct Fixture {
    users: ResourceService,
    groups: ResourceService,
    tenant: TenantId,
    size: u64,
    group_id: String,
    /// Users that are not members of the big group, for the add benchmark.
    outsiders: Vec<String>,
    /// A cursor positioned 90% deep into the user list.
    deep_cursor: String,
}

fn user_name(i: u64) -> String {
    format!("user{i:07}@example.com")
}

fn request(
    filter: Option<String>,
    start_index: u64,
    count: u64,
    cursor: Option<String>,
) -> ListRequest {
    ListRequest {
        filter,
        sort_by: None,
        sort_order: None,
        start_index,
        count,
        cursor,
    }
}

async fn fixture(size: u64, group_size: u64) -> Fixture {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("million-{size}-{group_size}.db"));
    let fresh = !path.exists();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = SeaOrmStore::connect(&url)
        .await
        .expect("the database opens");
    store.migrate().await.expect("migrations apply");
    let store = Arc::new(store);
    let service = |kind| {
        ResourceService::new(
            kind,
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        )
    };
    let users = service(ResourceKind::User);
    let groups = service(ResourceKind::Group);
    let auth = AuthService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let tenant = match auth.bootstrap("bench", Some("bench-token")).await {
        Ok(BootstrapOutcome::Existing(t)) | Ok(BootstrapOutcome::Created { tenant: t, .. }) => t.id,
        Err(err) => panic!("cannot create the tenant: {err}"),
    };

    let have = users
        .list(&tenant, &request(None, 1, 0, None))
        .await
        .expect("count users")
        .total_results;
    if fresh || have < size + 1_000 {
        let started = Instant::now();
        for i in have..size + 1_000 {
            users
                .create(
                    &tenant,
                    json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": user_name(i),
                        "externalId": format!("ext-{i}"),
                        "name": {"givenName": "Given", "familyName": format!("Family{i}")},
                        "emails": [{"value": user_name(i), "type": "work", "primary": true}],
                        "active": true
                    }),
                )
                .await
                .expect("seed a user");
            if i > 0 && i % 50_000 == 0 {
                eprintln!("seeded {i} users in {:.0?}", started.elapsed());
            }
        }
    }
    let group = groups
        .list(
            &tenant,
            &request(Some("displayName eq \"big\"".into()), 1, 1, None),
        )
        .await
        .expect("find the group");
    let group_id = match group.resources.first() {
        Some(g) => g.id.clone(),
        None => {
            let g = groups
                .create(
                    &tenant,
                    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "big"}),
                )
                .await
                .expect("create the group");
            // Members in batches, as an identity provider pushes them.
            let mut cursor = Some(String::new());
            let mut added = 0;
            while added < group_size {
                let page = users
                    .list(
                        &tenant,
                        &request(None, 1, 1_000.min(group_size - added), cursor.take()),
                    )
                    .await
                    .expect("page users");
                let members: Vec<Member> = page
                    .resources
                    .iter()
                    .map(|u| Member {
                        id: u.id.clone(),
                        kind: ResourceKind::User,
                    })
                    .collect();
                added += members.len() as u64;
                groups
                    .change_members(&tenant, &g.id, &[MemberChange::Add(members)], None)
                    .await
                    .expect("add members");
                cursor = page.next_cursor;
            }
            g.id
        }
    };
    // As the server does at start and every few minutes.
    store.optimize().await.expect("planner statistics");
    // The last 1,000 users never join the group.
    let outsiders = users
        .list(&tenant, &request(None, size + 1, 1_000, None))
        .await
        .expect("outsiders")
        .resources
        .into_iter()
        .map(|u| u.id)
        .collect();
    // Walk to 90% by cursor in large pages, once.
    let mut cursor = String::new();
    let mut seen = 0;
    while seen < size * 9 / 10 {
        let page = users
            .list(&tenant, &request(None, 1, 1_000, Some(cursor.clone())))
            .await
            .expect("walk");
        seen += page.resources.len() as u64;
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    Fixture {
        users,
        groups,
        tenant,
        size,
        group_id,
        outsiders,
        deep_cursor: cursor,
    }
}

fn million(c: &mut Criterion) {
    let size = setting("SCIM_BENCH_USERS", 1_000_000);
    let group_size = setting("SCIM_BENCH_GROUP", 100_000).min(size);
    let rt = Runtime::new().expect("a tokio runtime");
    let f = rt.block_on(fixture(size, group_size));
    let mut group = c.benchmark_group(format!("sqlite_{size}_users"));
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));

    let mut i = 0u64;
    let mut next = move || {
        // A stride that visits the whole table rather than a hot corner.
        i = (i + 7_919) % f.size;
        i
    };
    let lookup = |filter: String| {
        let page = rt
            .block_on(
                f.users
                    .list(&f.tenant, &request(Some(filter), 1, 100, None)),
            )
            .expect("query");
        assert_eq!(page.total_results, 1);
        black_box(page)
    };
    group.bench_function("userName eq", |b| {
        b.iter(|| {
            lookup(format!(
                "userName eq \"{}\"",
                user_name(next()).to_uppercase()
            ))
        })
    });
    group.bench_function("externalId eq", |b| {
        b.iter(|| lookup(format!("externalId eq \"ext-{}\"", next())))
    });
    group.bench_function("emails value path", |b| {
        b.iter(|| {
            lookup(format!(
                "emails[type eq \"work\" and value eq \"{}\"]",
                user_name(next())
            ))
        })
    });
    group.bench_function("page of 100 by cursor at 90%", |b| {
        b.iter(|| {
            let page = rt
                .block_on(f.users.list(
                    &f.tenant,
                    &request(None, 1, 100, Some(f.deep_cursor.clone())),
                ))
                .expect("page");
            assert_eq!(page.resources.len(), 100);
            black_box(page)
        })
    });
    group.bench_function("page of 100 by startIndex at 90%", |b| {
        b.iter(|| {
            let page = rt
                .block_on(
                    f.users
                        .list(&f.tenant, &request(None, f.size * 9 / 10, 100, None)),
                )
                .expect("page");
            assert_eq!(page.resources.len(), 100);
            black_box(page)
        })
    });
    group.bench_function(format!("add 100 members to a group of {group_size}"), |b| {
        let mut batch = 0usize;
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = (batch * 100) % f.outsiders.len().saturating_sub(99).max(1);
                batch += 1;
                let ids = &f.outsiders[start..(start + 100).min(f.outsiders.len())];
                let members: Vec<Member> = ids
                    .iter()
                    .map(|id| Member {
                        id: id.clone(),
                        kind: ResourceKind::User,
                    })
                    .collect();
                let began = Instant::now();
                rt.block_on(f.groups.change_members(
                    &f.tenant,
                    &f.group_id,
                    &[MemberChange::Add(members)],
                    None,
                ))
                .expect("add");
                spent += began.elapsed();
                // Put the group back as it was, outside the measurement.
                rt.block_on(f.groups.change_members(
                    &f.tenant,
                    &f.group_id,
                    &[MemberChange::Remove(ids.to_vec())],
                    None,
                ))
                .expect("remove");
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, million);
criterion_main!(benches);
