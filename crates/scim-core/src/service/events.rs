//! The event feed: a tenant's provisioning events, paged by sequence.

use std::sync::Arc;

use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::error::Error;
use crate::model::{StoredEvent, TenantId};
use crate::ports::ResourceStore;

/// The most events one page of the feed holds.
pub const MAX_EVENT_PAGE: u64 = 1000;

/// One page of a tenant's event feed.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    /// The events, oldest first.
    pub events: Vec<StoredEvent>,
    /// The cursor of the next page: the last event's sequence, or the
    /// cursor asked for when the page is empty.
    pub next: u64,
}

/// Reads a tenant's events for the host application (the pull side of
/// the outbox; webhooks are the push side).
#[derive(Clone)]
pub struct EventService {
    store: Arc<dyn ResourceStore>,
}

impl EventService {
    /// A feed over `store`.
    pub fn new(store: Arc<dyn ResourceStore>) -> Self {
        EventService { store }
    }

    /// The tenant's events after the cursor `after` (0 for the start), at
    /// most `limit` (at least 1, at most [`MAX_EVENT_PAGE`]).
    ///
    /// With several writers an event can become visible after one with a
    /// higher sequence (see [`ResourceStore::events`]): a consumer that
    /// must miss nothing reads again a little behind its cursor and
    /// deduplicates by event id.
    pub async fn page(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<EventPage, Error> {
        let limit = limit.clamp(1, MAX_EVENT_PAGE);
        let events = self.store.events(tenant, after, limit).await?;
        let next = events.last().map_or(after, |e| e.sequence);
        Ok(EventPage { events, next })
    }
}

/// The JSON form of an event, as the feed and webhooks publish it:
/// `sequence`, `id`, `type`, `resourceType`, `resourceId`, `occurred`
/// (RFC 3339, UTC) and `data`.
pub fn event_json(stored: &StoredEvent) -> Value {
    let e = &stored.event;
    json!({
        "sequence": stored.sequence,
        "id": e.id,
        "type": e.event_type.as_str(),
        "resourceType": e.resource_kind.as_str(),
        "resourceId": e.resource_id,
        "occurred": e.occurred.to_rfc3339_opts(SecondsFormat::Micros, true),
        "data": e.data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventType, ResourceKind};
    use chrono::TimeZone;

    #[test]
    fn events_serialise_with_their_sequence_and_type_names() {
        let stored = StoredEvent {
            sequence: 7,
            event: Event {
                id: "e1".into(),
                event_type: EventType::MemberAdded,
                resource_kind: ResourceKind::Group,
                resource_id: "g1".into(),
                occurred: chrono::Utc
                    .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                    .single()
                    .unwrap_or_default(),
                data: json!({"member": "u1"}),
            },
        };
        assert_eq!(
            event_json(&stored),
            json!({
                "sequence": 7, "id": "e1", "type": "group.member_added",
                "resourceType": "Group", "resourceId": "g1",
                "occurred": "2026-01-02T03:04:05.000000Z", "data": {"member": "u1"},
            })
        );
    }
}
