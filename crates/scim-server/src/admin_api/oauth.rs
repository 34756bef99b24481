//! The admin API's OAuth routes: a tenant's clients (what `client` does)
//! and the issuers whose JWTs it trusts (what `tenant trust` does).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use scim_core::JwksLocation;
use scim_http::ApiError;
use serde::Deserialize;
use serde_json::Value;

use super::{AdminApi, Body, Params, bad_request, core};
use crate::admin::{client_json, new_client_json, removed_trusts_json, trust_json};

/// `GET /tenants/{name}/clients`: every client, revoked ones included.
pub(super) async fn list_clients(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let clients = api.auth.clients(&name).await.map_err(core)?;
    Ok(Json(Value::Array(
        clients.iter().map(client_json).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct NewClient {
    #[serde(default)]
    name: Option<String>,
}

/// `POST /tenants/{name}/clients`: the secret is in this answer only.
pub(super) async fn create_client(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
    Body(request): Body<NewClient>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let created = api
        .auth
        .create_client(&name, request.name.as_deref())
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(new_client_json(
            &created,
            &api.token_endpoint,
            &api.scim_url,
            api.auth.access_token_lifetime().num_minutes(),
        )),
    ))
}

/// `DELETE /tenants/{name}/clients/{id}`: its secret and access tokens
/// stop at once.
pub(super) async fn revoke_client(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let revoked = api.auth.revoke_client(&name, &id).await.map_err(core)?;
    Ok(Json(client_json(&revoked)))
}

/// `GET /tenants/{name}/trusts`.
pub(super) async fn list_trusts(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let trusts = api.auth.trusts(&name).await.map_err(core)?;
    Ok(Json(Value::Array(trusts.iter().map(trust_json).collect())))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct NewTrust {
    issuer: String,
    audience: String,
    #[serde(default)]
    jwks_url: Option<String>,
    /// The key set itself, as a JSON object (what `--jwks-file` holds).
    #[serde(default)]
    jwks: Option<Value>,
}

/// Where the keys are: exactly one of a URL and an inline key set object.
fn jwks_location(url: Option<String>, inline: Option<Value>) -> Result<JwksLocation, ApiError> {
    match (url, inline) {
        (Some(url), None) => Ok(JwksLocation::Url(url)),
        (None, Some(set @ Value::Object(_))) => Ok(JwksLocation::Inline(set.to_string())),
        (None, Some(_)) => Err(bad_request(
            "jwks must be a JSON Web Key Set object ({\"keys\": [...]})",
        )),
        _ => Err(bad_request("give exactly one of jwksUrl and jwks")),
    }
}

/// `POST /tenants/{name}/trusts`: the tenant's SCIM API accepts the
/// issuer's JWTs for the audience from now on.
pub(super) async fn add_trust(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
    Body(request): Body<NewTrust>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let jwks = jwks_location(request.jwks_url, request.jwks)?;
    let added = api
        .auth
        .add_trust(&name, &request.issuer, &request.audience, jwks)
        .await
        .map_err(core)?;
    Ok((StatusCode::CREATED, Json(trust_json(&added))))
}

/// `DELETE /tenants/{name}/trusts/{issuer}`: like `tenant trust remove`,
/// by issuer (percent-encoded: it is a URL), for every audience.
pub(super) async fn remove_trust(
    State(api): State<AdminApi>,
    Params((name, issuer)): Params<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let removed = api.auth.remove_trust(&name, &issuer).await.map_err(core)?;
    Ok(Json(removed_trusts_json(&removed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_trust_takes_exactly_one_key_source() {
        let set = json!({"keys": []});
        assert_eq!(
            jwks_location(Some("https://idp.example/keys".into()), None).unwrap(),
            JwksLocation::Url("https://idp.example/keys".into())
        );
        assert_eq!(
            jwks_location(None, Some(set.clone())).unwrap(),
            JwksLocation::Inline(set.to_string())
        );
        for (url, inline) in [
            (None, None),
            (Some("https://idp.example/keys".to_owned()), Some(set)),
            (None, Some(json!("{\"keys\": []}"))),
            (None, Some(json!([]))),
        ] {
            let err = jwks_location(url, inline).unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        }
    }
}
