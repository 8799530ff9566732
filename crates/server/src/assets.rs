//! The app's own static files, compiled in: its stylesheet and its script (the report page's
//! script is the report's own, followed by the app's).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const NAV_CSS: &str = include_str!("../assets/nav.css");

pub async fn serve(Path(file): Path<String>) -> Response {
    let (content_type, body) = match file.as_str() {
        "app.js" => ("text/javascript; charset=utf-8", APP_JS.to_owned()),
        "report.js" => (
            "text/javascript; charset=utf-8",
            format!("{}\n{APP_JS}", threatscribe_report::REPORT_SCRIPT),
        ),
        "app.css" => ("text/css; charset=utf-8", APP_CSS.to_owned()),
        "nav.css" => ("text/css; charset=utf-8", NAV_CSS.to_owned()),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
