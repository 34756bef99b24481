//! Domain services.

mod audit;
mod cursor;
mod events;
mod resources;
mod webhooks;

pub use audit::{AuditPage, AuditRequest, AuditService, MAX_AUDIT_PAGE};
pub use events::{EventPage, EventService, MAX_EVENT_PAGE, event_json};
pub use resources::{Fields, ListRequest, Listing, MAX_KEY_CHARS, ResourceService};
pub use webhooks::{
    Delivery, DeliveryConfig, DeliveryOutcome, DeliveryWorker, MAX_ATTEMPT_PAGE,
    MAX_WEBHOOK_URL_CHARS, SECRET_PREFIX, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, WebhookService,
    backoff, is_failing, payload, sign, signature_header,
};
