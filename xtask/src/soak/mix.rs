//! The requests of a soak run: what identity providers send while they
//! keep a directory in sync, in fixed proportions, each answer checked.
//!
//! Out of every 20 requests: 7 GET a user by id, 5 look one up by
//! `userName eq` (how Entra ID and Okta match accounts), 4 toggle `active`
//! by PATCH (half in Entra ID's dialect, `"Replace"` with `"True"`/`"False"`
//! strings), 2 add a user to a group or remove one (Okta's `add` with
//! `display`, Entra ID's `Remove` with a value list or RFC 7644's
//! `members[value eq ...]`), 1 creates a user and 1 deletes one.
//! Creations and deletions balance, and group operations add when there
//! are fewer memberships than at the start and remove otherwise, so the
//! directory keeps its size and memory growth cannot be put down to more
//! data. (Deleted users stay in the store as tombstones, as the server
//! keeps them.)
//!
//! The users live in a queue: a request takes one out and puts it back at
//! the end, so no two requests in flight touch the same user and every
//! answer can be predicted exactly. Two requests may change one group at
//! the same time, as identity providers' do.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::bench::load::{Http, Reply};
use crate::bench::workloads::{
    PATCH_SCHEMA, check_filter, check_user, encode, expect_status, parse, user_body,
};

/// What a request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `POST /Users`.
    Create,
    /// `GET /Users/{id}`.
    Get,
    /// `GET /Users?filter=userName eq "..."`.
    Filter,
    /// `PATCH /Users/{id}` replacing `active`.
    PatchActive,
    /// `PATCH /Groups/{id}` adding a member.
    GroupAdd,
    /// `PATCH /Groups/{id}` removing a member.
    GroupRemove,
    /// `DELETE /Users/{id}`.
    Delete,
}

impl Kind {
    /// Every kind, in report order.
    pub(crate) const ALL: [Kind; 7] = [
        Kind::Create,
        Kind::Get,
        Kind::Filter,
        Kind::PatchActive,
        Kind::GroupAdd,
        Kind::GroupRemove,
        Kind::Delete,
    ];

    /// The name in reports.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Get => "get",
            Kind::Filter => "filter",
            Kind::PatchActive => "patch-active",
            Kind::GroupAdd => "group-add",
            Kind::GroupRemove => "group-remove",
            Kind::Delete => "delete",
        }
    }

    /// Its position in [`Kind::ALL`].
    pub(crate) fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// One position of the repeating pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Create,
    Get,
    Filter,
    Patch,
    Group,
    Delete,
}

/// The pattern request `i` follows at `i % 20`, interleaved so that every
/// second of load has the whole mix.
const SLOTS: [Slot; 20] = [
    Slot::Get,
    Slot::Filter,
    Slot::Create,
    Slot::Get,
    Slot::Patch,
    Slot::Filter,
    Slot::Get,
    Slot::Group,
    Slot::Filter,
    Slot::Patch,
    Slot::Get,
    Slot::Patch,
    Slot::Filter,
    Slot::Get,
    Slot::Delete,
    Slot::Group,
    Slot::Filter,
    Slot::Get,
    Slot::Patch,
    Slot::Get,
];

/// A user as the soak knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SoakUser {
    /// The id the server gave it.
    pub(crate) id: String,
    /// Its `userName`.
    pub(crate) user_name: String,
    /// Its `active`, as last set.
    pub(crate) active: bool,
    /// The group (index) it is a member of, if any.
    pub(crate) group: Option<usize>,
}

/// What one request measured and concluded.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// What it did.
    pub(crate) kind: Kind,
    /// From sending to having read the body; `None` without an answer.
    pub(crate) latency: Option<Duration>,
    /// Whether the answer was a 5xx.
    pub(crate) server_error: bool,
    /// What was wrong, if anything.
    pub(crate) error: Option<String>,
}

/// The users and groups under load, and the client.
pub(crate) struct Mix {
    http: Http,
    users: Mutex<VecDeque<SoakUser>>,
    groups: Vec<String>,
    /// Memberships now.
    members: AtomicUsize,
    /// Memberships at the start, which group operations keep.
    target_members: usize,
}

impl Mix {
    /// A mix over `users` and the groups with ids `groups` (at least one),
    /// which the users' `group` fields say they are members of.
    pub(crate) fn new(http: Http, users: Vec<SoakUser>, groups: Vec<String>) -> Mix {
        let members = users.iter().filter(|u| u.group.is_some()).count();
        Mix {
            http,
            users: Mutex::new(users.into()),
            groups,
            members: AtomicUsize::new(members),
            target_members: members,
        }
    }

    /// Users not being worked on right now.
    pub(crate) fn population(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<SoakUser>> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn checkout(&self) -> Option<SoakUser> {
        self.lock().pop_front()
    }

    /// The first user in the queue that is (or is not) a group member, or
    /// else the first one.
    fn checkout_member(&self, member: bool) -> Option<SoakUser> {
        let mut users = self.lock();
        let position = users
            .iter()
            .position(|u| u.group.is_some() == member)
            .unwrap_or(0);
        users.remove(position)
    }

    fn checkin(&self, user: SoakUser) {
        self.lock().push_back(user);
    }

    /// Sends request number `i` of the run and judges the answer. When
    /// every user is taken by requests in flight, it creates one instead.
    pub(crate) async fn run(&self, i: u64) -> Outcome {
        let slot = SLOTS[(i % SLOTS.len() as u64) as usize];
        let user = if slot == Slot::Group {
            let add = self.members.load(Ordering::Acquire) < self.target_members;
            self.checkout_member(!add)
        } else {
            self.checkout()
        };
        let Some(mut user) = user else {
            return self.create(i).await;
        };
        let path = format!("/Users/{}", user.id);
        let outcome = match slot {
            Slot::Create => {
                self.checkin(user);
                return self.create(i).await;
            }
            Slot::Get => {
                let sent = self.http.send(Method::GET, &path, None).await;
                judge(Kind::Get, sent, &[200], |reply| {
                    check_user(&parse(reply)?, Some(&user.id), Some(&user.user_name))
                })
            }
            Slot::Filter => {
                let filter = format!("userName eq \"{}\"", user.user_name);
                let query = format!("/Users?filter={}", encode(&filter));
                let sent = self.http.send(Method::GET, &query, None).await;
                judge(Kind::Filter, sent, &[200], |reply| {
                    check_filter(&parse(reply)?, &user.user_name)
                })
            }
            Slot::Patch => {
                let active = !user.active;
                let body = active_patch(active, i);
                let sent = self.http.send(Method::PATCH, &path, Some(body)).await;
                let outcome = judge(Kind::PatchActive, sent, &[200, 204], |reply| {
                    if reply.status == 200 {
                        check_active(&parse(reply)?, &user.id, active)?;
                    }
                    Ok(())
                });
                if outcome.error.is_none() {
                    user.active = active;
                }
                outcome
            }
            Slot::Group => self.group(&mut user, i).await,
            Slot::Delete => {
                let sent = self.http.send(Method::DELETE, &path, None).await;
                let outcome = judge(Kind::Delete, sent, &[204], |_| Ok(()));
                if outcome.error.is_none() && user.group.is_some() {
                    // A deleted user leaves its groups.
                    self.members.fetch_sub(1, Ordering::AcqRel);
                }
                // Deleted, or in an unknown state: either way not put back.
                return outcome;
            }
        };
        self.checkin(user);
        outcome
    }

    /// `POST /Users` of a new user, put in the queue when created.
    async fn create(&self, i: u64) -> Outcome {
        let user_name = format!("soak{i}@example.com");
        let body = user_body(
            &user_name,
            &format!("soak-{i}"),
            "Soak",
            &format!("User{i}"),
        );
        let sent = self
            .http
            .send(Method::POST, "/Users", Some(to_vec(&body)))
            .await;
        let mut id = None;
        let outcome = judge(Kind::Create, sent, &[201], |reply| {
            let user = parse(reply)?;
            check_user(&user, None, Some(&user_name))?;
            id = user["id"].as_str().map(str::to_owned);
            Ok(())
        });
        if let Some(id) = id {
            self.checkin(SoakUser {
                id,
                user_name,
                active: true,
                group: None,
            });
        }
        outcome
    }

    /// Adds `user` to a group, or removes it from the one it is in.
    async fn group(&self, user: &mut SoakUser, i: u64) -> Outcome {
        let (kind, group, body) = match user.group {
            None => {
                let group = group_for(i, self.groups.len());
                (Kind::GroupAdd, group, member_add(user))
            }
            Some(group) => (Kind::GroupRemove, group, member_remove(&user.id, i)),
        };
        let path = format!("/Groups/{}", self.groups[group]);
        let sent = self.http.send(Method::PATCH, &path, Some(body)).await;
        let outcome = judge(kind, sent, &[200, 204], |reply| {
            if reply.status == 200 {
                let answer = parse(reply)?;
                if answer["id"] != self.groups[group].as_str() {
                    return Err(format!("PATCH {path} answered group {}", answer["id"]));
                }
            }
            Ok(())
        });
        if outcome.error.is_none() {
            if kind == Kind::GroupAdd {
                user.group = Some(group);
                self.members.fetch_add(1, Ordering::AcqRel);
            } else {
                user.group = None;
                self.members.fetch_sub(1, Ordering::AcqRel);
            }
        }
        outcome
    }
}

/// The group request `i` adds to: the two group slots of a pattern (7 and
/// 15) and those of the patterns after it take the groups in turn.
fn group_for(i: u64, groups: usize) -> usize {
    (i / 10) as usize % groups.max(1)
}

/// Judges an answer: its status must be one of `expected`, and `check`
/// must accept it.
fn judge(
    kind: Kind,
    sent: Result<Reply, String>,
    expected: &[u16],
    check: impl FnOnce(&Reply) -> Result<(), String>,
) -> Outcome {
    match sent {
        Ok(reply) => Outcome {
            kind,
            latency: Some(reply.latency),
            server_error: reply.status >= 500,
            error: expect_status(&reply, expected)
                .and_then(|()| check(&reply))
                .err()
                .map(|e| format!("{}: {e}", kind.id())),
        },
        Err(e) => Outcome {
            kind,
            latency: None,
            server_error: false,
            error: Some(format!("{}: {e}", kind.id())),
        },
    }
}

fn to_vec(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// A PATCH setting `active`: Entra ID's dialect for even `i`, RFC 7644's
/// for odd.
fn active_patch(active: bool, i: u64) -> Vec<u8> {
    let operation = if i.is_multiple_of(2) {
        json!({"op": "Replace", "path": "active", "value": if active { "True" } else { "False" }})
    } else {
        json!({"op": "replace", "path": "active", "value": active})
    };
    to_vec(&json!({"schemas": [PATCH_SCHEMA], "Operations": [operation]}))
}

/// Okta's membership push: `add` of `members` with `display`.
fn member_add(user: &SoakUser) -> Vec<u8> {
    to_vec(&json!({
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "add", "path": "members",
                        "value": [{"value": user.id, "display": user.user_name}]}]
    }))
}

/// A member removal: Entra ID's value list for even `i`, RFC 7644's value
/// filter (what Okta and Entra ID with `aadOptscim062020` send) for odd.
fn member_remove(id: &str, i: u64) -> Vec<u8> {
    let operation = if i.is_multiple_of(2) {
        json!({"op": "Remove", "path": "members", "value": [{"value": id}]})
    } else {
        json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")})
    };
    to_vec(&json!({"schemas": [PATCH_SCHEMA], "Operations": [operation]}))
}

/// Fails unless `resource` is the user `id` with `active` as given.
fn check_active(resource: &Value, id: &str, active: bool) -> Result<(), String> {
    check_user(resource, Some(id), None)?;
    if resource["active"] == json!(active) {
        Ok(())
    } else {
        Err(format!(
            "{id}: active is {} after PATCH, not {active}",
            resource["active"]
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_has_the_documented_proportions() {
        let count = |slot| SLOTS.iter().filter(|s| **s == slot).count();
        assert_eq!(count(Slot::Get), 7);
        assert_eq!(count(Slot::Filter), 5);
        assert_eq!(count(Slot::Patch), 4);
        assert_eq!(count(Slot::Group), 2);
        assert_eq!(count(Slot::Create), 1);
        assert_eq!(count(Slot::Delete), 1, "creations and deletions balance");
        // Group slots 7 and 15 of consecutive patterns take each group in
        // turn.
        let groups: Vec<usize> = (0..5)
            .flat_map(|p| [20 * p + 7, 20 * p + 15])
            .inspect(|&i| assert_eq!(SLOTS[i as usize % 20], Slot::Group))
            .map(|i| group_for(i, 10))
            .collect();
        assert_eq!(groups, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn kinds_have_names_and_positions() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
        assert_eq!(Kind::GroupRemove.id(), "group-remove");
    }

    #[test]
    fn bodies_speak_both_dialects() {
        let entra: Value = serde_json::from_slice(&active_patch(false, 0)).unwrap();
        assert_eq!(
            entra["Operations"][0],
            json!({"op": "Replace", "path": "active", "value": "False"})
        );
        let rfc: Value = serde_json::from_slice(&active_patch(true, 1)).unwrap();
        assert_eq!(rfc["Operations"][0]["value"], true);
        let removal: Value = serde_json::from_slice(&member_remove("u1", 1)).unwrap();
        assert_eq!(removal["Operations"][0]["path"], "members[value eq \"u1\"]");
        let removal: Value = serde_json::from_slice(&member_remove("u1", 2)).unwrap();
        assert_eq!(removal["Operations"][0]["value"], json!([{"value": "u1"}]));
    }

    #[test]
    fn answers_are_judged_by_status_and_check() {
        let reply = |status: u16, body: &str| {
            Ok(Reply {
                status,
                body: body.as_bytes().to_vec(),
                latency: Duration::from_millis(3),
            })
        };
        let ok = judge(Kind::Get, reply(200, "{}"), &[200], |_| Ok(()));
        assert_eq!(
            (ok.error, ok.latency),
            (None, Some(Duration::from_millis(3)))
        );
        let failed = judge(Kind::Get, reply(503, "busy"), &[200], |_| Ok(()));
        assert!(failed.server_error);
        assert!(failed.error.unwrap().starts_with("get: status 503"));
        let wrong = judge(Kind::Delete, reply(204, ""), &[204], |_| Err("no".into()));
        assert_eq!(wrong.error.as_deref(), Some("delete: no"));
        let lost = judge(Kind::Filter, Err("reset".into()), &[200], |_| Ok(()));
        assert_eq!(
            (lost.latency, lost.error.as_deref()),
            (None, Some("filter: reset"))
        );
        assert!(check_active(&json!({"id": "1", "active": true}), "1", true).is_ok());
        assert!(check_active(&json!({"id": "1", "active": "True"}), "1", true).is_err());
    }
}
