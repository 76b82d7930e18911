//! `/api/v1/docs`: the OpenAPI document as a page of the site, rendered on the server (no
//! script, so it works under the application's CSP and without JavaScript).

use askama::Template;
use utoipa::{
    OpenApi,
    openapi::{RefOr, path::ParameterIn},
};

use super::{ApiDoc, PREFIX};
use crate::{auth::MaybeViewer, error::AppResult};

pub struct Operation {
    pub method: &'static str,
    pub path: String,
    pub anchor: String,
    pub summary: String,
    pub description: String,
    /// (name, where, required, description)
    pub parameters: Vec<(String, &'static str, bool, String)>,
    pub body: bool,
    /// (status, description)
    pub responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
pub struct DocsPage {
    layout: crate::web::Layout,
    description: String,
    operations: Vec<Operation>,
    prefix: &'static str,
}

pub async fn page(viewer: MaybeViewer) -> AppResult<DocsPage> {
    let doc = ApiDoc::openapi();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in methods {
            let Some(op) = operation else { continue };
            let parameters = op
                .parameters
                .iter()
                .flatten()
                .map(|p| {
                    let place = match p.parameter_in {
                        ParameterIn::Path => "chemin",
                        ParameterIn::Query => "requête",
                        ParameterIn::Header => "en-tête",
                        ParameterIn::Cookie => "cookie",
                    };
                    let required = matches!(p.required, utoipa::openapi::Required::True);
                    (
                        p.name.clone(),
                        place,
                        required,
                        p.description.clone().unwrap_or_default(),
                    )
                })
                .collect();
            let responses = op
                .responses
                .responses
                .iter()
                .map(|(status, response)| {
                    let description = match response {
                        RefOr::T(r) => r.description.clone(),
                        RefOr::Ref(r) => r.ref_location.clone(),
                    };
                    (status.clone(), description)
                })
                .collect();
            operations.push(Operation {
                method,
                anchor: format!(
                    "{}{}",
                    method.to_lowercase(),
                    path.replace(['/', '{', '}'], "-")
                ),
                path: path.clone(),
                summary: op.summary.clone().unwrap_or_default(),
                description: op.description.clone().unwrap_or_default(),
                parameters,
                body: op.request_body.is_some(),
                responses,
            });
        }
    }
    Ok(DocsPage {
        layout: viewer.layout,
        description: doc.info.description.unwrap_or_default(),
        operations,
        prefix: PREFIX,
    })
}

crate::impl_page!(DocsPage);
