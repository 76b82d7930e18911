//! The API's errors as `application/problem+json` (RFC 9457), in French, and the JSON body
//! extractor whose every rejection is one of them.
//!
//! Handlers return `ApiResult`; an `AppError` (database away, not found…) converts into the
//! matching problem. Errors made by layers before a handler runs (body limit, timeout, panic)
//! are turned into problems by `web::errors::render_error_pages` for paths under `/api/`.

use axum::{
    extract::{FromRequest, Request},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

use crate::error::AppError;

pub type ApiResult<T> = Result<T, Problem>;

/// A problem (RFC 9457). `type` is `about:blank`: the status and its French title say it all.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For 422: each invalid field, by its JSON pointer in the request body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InvalidField>,
    /// Seconds to wait, for 429.
    #[serde(skip)]
    retry_after: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct InvalidField {
    /// JSON pointer (RFC 6901) to the field in the body: `/measurements/3/date`.
    pub pointer: String,
    pub detail: String,
}

impl InvalidField {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// The French title of each status the API answers with.
pub fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Requête mal formée",
        401 => "Clé d’API manquante ou non valide",
        403 => "Accès refusé",
        404 => "Ressource introuvable",
        405 => "Méthode non permise",
        409 => "Conflit de modification",
        412 => "Version périmée",
        413 => "Requête trop volumineuse",
        415 => "Format non pris en charge",
        422 => "Données invalides",
        428 => "En-tête If-Match requis",
        429 => "Trop de requêtes",
        503 | 504 | 408 => "Service momentanément indisponible",
        _ => "Erreur interne",
    }
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: title(status).to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 401: the same answer whether the key is missing, unknown, expired or revoked.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Envoyez une clé d’API valide dans l’en-tête « Authorization: Bearer … ». Une clé expirée ou révoquée ne fonctionne plus.",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Cette ressource n’existe pas, ou votre clé ne permet pas de la voir.",
        )
    }

    pub fn invalid(errors: Vec<InvalidField>) -> Self {
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            match errors.len() {
                1 => "Un champ n’est pas valide : voir « errors ».".to_owned(),
                n => format!("{n} champs ne sont pas valides : voir « errors »."),
            },
        );
        problem.errors = errors;
        problem
    }

    pub fn too_many(retry_after: u64) -> Self {
        let mut problem = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Cette clé a envoyé trop de requêtes : réessayez dans {retry_after} secondes."),
        );
        problem.retry_after = Some(retry_after);
        problem
    }

    /// A bare error of a layer (body limit, timeout, panic) for a path under `/api/`.
    pub fn of_status(status: StatusCode) -> Self {
        let detail = match status.as_u16() {
            413 => "Le corps de la requête dépasse 1 Mio : envoyez moins de données par appel.",
            404 => "Cette adresse ne correspond à aucune ressource de l’API.",
            405 => "Cette adresse n’accepte pas cette méthode.",
            408 | 503 | 504 => {
                "Boussole ne peut pas répondre pour le moment : réessayez dans quelques instants."
            }
            400..=499 => "La requête n’a pas pu être traitée.",
            _ => {
                "Une erreur inattendue s’est produite ; l’identifiant de la requête est dans l’en-tête x-request-id."
            }
        };
        Self::new(status, detail)
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        let status = error.status();
        if status.is_server_error() {
            // Logged once, here, in the request's span (as `AppError` does for pages).
            tracing::error!(%error, "API request failed");
        }
        match error {
            AppError::NotFound => Self::not_found(),
            AppError::Forbidden => Self::forbidden("Votre clé ne permet pas cette action."),
            AppError::BadRequest(message) => Self::new(StatusCode::BAD_REQUEST, message),
            AppError::TooManyRequests { retry_after, .. } => Self::too_many(retry_after),
            _ => Self::of_status(status),
        }
    }
}

impl From<sqlx::Error> for Problem {
    fn from(error: sqlx::Error) -> Self {
        AppError::from(error).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A JSON body: 415 when it is not JSON, 400 when it does not parse, 413 over the limit, 422
/// (with the field's pointer) when it parses but a field has the wrong type or is missing.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| {
                let essence = essence.trim().to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            });
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Envoyez le corps en JSON, avec l’en-tête « Content-Type: application/json ».",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| Problem::of_status(StatusCode::PAYLOAD_TOO_LARGE))?;
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(&mut deserializer) {
            Ok(value) => {
                deserializer.end().map_err(|e| malformed(&e))?;
                Ok(Json(value))
            }
            Err(error) => {
                let inner = error.inner();
                if inner.is_data() {
                    Err(Problem::invalid(vec![InvalidField::new(
                        pointer(error.path()),
                        format!("Valeur refusée : {}.", french(inner)),
                    )]))
                } else {
                    Err(malformed(inner))
                }
            }
        }
    }
}

fn malformed(error: &serde_json::Error) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        format!(
            "Le corps n’est pas un JSON valide (ligne {}, colonne {}).",
            error.line(),
            error.column()
        ),
    )
}

/// One item of a list, read on its own so that every bad item of the list is named (the whole
/// body at once stops at the first): the item at `at` (a JSON pointer), or what is wrong in it.
pub fn item<T: DeserializeOwned>(value: serde_json::Value, at: &str) -> Result<T, InvalidField> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        InvalidField::new(
            format!("{at}{}", pointer(error.path())),
            format!("Valeur refusée : {}.", french(error.inner())),
        )
    })
}

/// The JSON pointer of a serde path: `measurements[3].date` → `/measurements/3/date`.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// What was wrong with a field, in French, from serde's (English) message.
fn french(error: &serde_json::Error) -> &'static str {
    let message = error.to_string();
    if message.starts_with("missing field") {
        "champ obligatoire manquant"
    } else if message.starts_with("unknown field") {
        "champ inconnu : retirez-le"
    } else if message.contains("expected f64") || message.contains("expected a number") {
        "un nombre est attendu"
    } else if message.contains("NaiveDate")
        || message.contains("input")
        || message.contains("premature end")
    {
        "une date au format AAAA-MM-JJ est attendue"
    } else if message.starts_with("unknown ") && message.contains(" code ") {
        "valeur inconnue : les valeurs permises sont dans le document OpenAPI"
    } else if message.contains("expected a string")
        || message.contains("expected a borrowed string")
    {
        "un texte est attendu"
    } else if message.contains("UUID") || message.contains("uuid") {
        "un identifiant (UUID) est attendu"
    } else if message.contains("expected a sequence") {
        "une liste est attendue"
    } else {
        "valeur refusée : voir le schéma dans le document OpenAPI"
    }
}
