//! SCIM error responses: the one place where error kinds become statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::{Error, ErrorKind};
use scim_schema::{ScimError, ScimType};

use crate::SCIM_CONTENT_TYPE;

/// An error on its way to the client as a SCIM Error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    scim_type: Option<ScimType>,
    detail: String,
    /// Seconds for `Retry-After`, when the client should come back later.
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with an explicit status.
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 503: the server cannot take the request now.
    pub(crate) fn unavailable(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, None, detail)
    }

    /// 429: the tenant's rate limit is spent for `wait`.
    pub(crate) fn too_many_requests(wait: std::time::Duration) -> Self {
        // Retry-After counts whole seconds; round up so that a retry succeeds.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            format!("too many requests for this tenant; retry in {seconds} s"),
        );
        err.retry_after = Some(seconds.max(1));
        err
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    pub(crate) fn invalid_syntax(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::InvalidSyntax),
            detail,
        )
    }
}

/// The HTTP status of each core error kind (see `docs/error-mapping.md`).
/// Exhaustive on purpose: a new kind does not compile until it is mapped.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidSyntax
        | ErrorKind::InvalidValue
        | ErrorKind::InvalidFilter
        | ErrorKind::InvalidCursor
        | ErrorKind::InvalidPath
        | ErrorKind::NoTarget
        | ErrorKind::Mutability
        | ErrorKind::TooMany => StatusCode::BAD_REQUEST,
        ErrorKind::Uniqueness | ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let kind = err.kind();
        let detail = match kind {
            // Internals go to the log, never to the client.
            ErrorKind::Internal => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "internal error");
                "an internal error occurred; the server log has the details".to_owned()
            }
            ErrorKind::Unavailable => {
                tracing::warn!(error = %err, source = ?std::error::Error::source(&err), "storage unavailable");
                "the service is temporarily unavailable; retry later".to_owned()
            }
            _ => err.detail().to_owned(),
        };
        ApiError::new(status_of(kind), kind.scim_type(), detail)
    }
}

impl ApiError {
    /// The SCIM Error body of this error.
    pub(crate) fn body(&self) -> ScimError {
        ScimError::new(self.status.as_u16(), self.scim_type, self.detail.clone())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let bytes = match serde_json::to_vec(&body) {
            Ok(bytes) => bytes,
            // Serialising strings cannot fail; keep a valid body regardless.
            Err(_) => {
                br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500"}"#
                    .to_vec()
            }
        };
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"SCIM\""),
            );
        }
        let retry_after = match (self.retry_after, self.status) {
            (Some(seconds), _) => Some(seconds),
            (None, StatusCode::SERVICE_UNAVAILABLE) => Some(1),
            (None, _) => None,
        };
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Fallback for paths no route matches.
pub(crate) async fn not_found_route(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("no SCIM endpoint at {}", uri.path()),
    )
}

/// Fallback for known paths with an unsupported method.
pub(crate) async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{method} is not supported on this endpoint"),
    )
}
