//! The importers on real files from Threat Dragon's and pytm's repositories: what a user would
//! check after importing (every element, flow and boundary present, members placed where the
//! diagram draws them, nothing dropped without a word).

use serde_json::Value;
use threatscribe_interop::{ForeignFormat, detect, import};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(model: &Value, part: &str) -> Vec<String> {
    model[part]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn element<'a>(model: &'a Value, id: &str) -> &'a Value {
    model["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no element {id}"))
}

fn flow<'a>(model: &'a Value, from: &str, to: &str) -> &'a Value {
    model["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["from"] == from && f["to"] == to)
        .unwrap_or_else(|| panic!("no flow {from} -> {to}"))
}

fn mentions(model: &Value, part: &str, words: &str) -> bool {
    model[part]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a.as_str().unwrap().contains(words))
}

#[test]
fn formats_are_told_apart_and_own_models_are_not_claimed() {
    assert_eq!(
        detect(&fixture("threat-dragon-v2-demo.json")),
        Some(ForeignFormat::ThreatDragon)
    );
    assert_eq!(
        detect(&fixture("pytm-input.json")),
        Some(ForeignFormat::Pytm)
    );
    let own = serde_json::json!({"name": "x", "elements": [{"id": "a", "kind": "process"}]});
    assert_eq!(detect(&own), None);
}

#[test]
fn threat_dragon_demo_keeps_every_element_and_flow() {
    let model = import(
        &fixture("threat-dragon-v2-demo.json"),
        ForeignFormat::ThreatDragon,
    )
    .unwrap();
    assert_eq!(model["name"], "Demo Threat Model");
    let mut elements = ids(&model, "elements");
    elements.sort();
    assert_eq!(
        elements,
        [
            "background-worker-process",
            "browser",
            "database",
            "message-queue",
            "web-application",
            "web-application-config",
            "worker-config"
        ]
    );
    assert_eq!(element(&model, "browser")["kind"], "external_entity");
    assert_eq!(element(&model, "database")["kind"], "data_store");
    assert_eq!(element(&model, "web-application")["kind"], "process");
    // The demo's browser request is marked HTTPS and encrypted; the queue hop is neither.
    let request = flow(&model, "browser", "web-application");
    assert_eq!(request["protocol"], "https");
    assert_eq!(request["properties"]["encrypted"], true);
    let put = flow(&model, "web-application", "message-queue");
    assert_eq!(put["properties"]["encrypted"], false);
    assert!(put.get("protocol").is_none());
    // Its boundaries are curves, which enclose nothing: said, not guessed.
    assert!(mentions(&model, "assumptions", "3 trust boundary curve(s)"));
    // Its own threats come along as findings, on the same element or flow, with their status.
    let findings = model["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 14);
    let open = findings.iter().filter(|f| f["status"] == "open").count();
    assert_eq!(open, 10);
    let mitm = findings
        .iter()
        .find(|f| f["title"] == "Man in the middle attack")
        .unwrap();
    assert_eq!(mitm["target"], "database-to-background-worker-process");
    assert_eq!(mitm["stride"], "information_disclosure");
    assert_eq!(mitm["source"], "OWASP Threat Dragon");
    let queue = findings
        .iter()
        .find(|f| f["title"] == "Fake messages could be placed on the queue")
        .unwrap();
    assert_eq!(queue["target"], "message-queue");
    assert_eq!(queue["stride"], "spoofing");
    assert_eq!(queue["status"], "mitigated");
    assert!(mentions(&model, "assumptions", "14 threat(s) come along"));
    assert!(mentions(&model, "questions", "Which technologies"));
}

#[test]
fn threat_dragon_boxes_get_their_members_from_the_geometry() {
    let model = import(
        &fixture("threat-dragon-three-tier.json"),
        ForeignFormat::ThreatDragon,
    )
    .unwrap();
    assert_eq!(
        ids(&model, "boundaries"),
        ["trust-boundary-1", "trust-boundary-2"]
    );
    // The diagram draws the web UI in the first box, the service and database in the second.
    assert_eq!(element(&model, "web-ui")["boundary"], "trust-boundary-1");
    assert_eq!(
        element(&model, "web-service")["boundary"],
        "trust-boundary-2"
    );
    assert_eq!(
        element(&model, "postgressql")["boundary"],
        "trust-boundary-2"
    );
    assert_eq!(model["flows"].as_array().unwrap().len(), 3);
}

#[test]
fn threat_dragon_without_elements_is_an_error_not_an_empty_model() {
    let empty = serde_json::json!({"detail": {"diagrams": [{"cells": []}]}});
    let error = import(&empty, ForeignFormat::ThreatDragon).unwrap_err();
    assert!(error.to_string().contains("no actors, processes or stores"));
}

#[test]
fn threat_dragon_flows_without_two_ends_are_reported() {
    let file = serde_json::json!({"detail": {"diagrams": [{"cells": [
        {"id": "a", "shape": "process", "data": {"name": "API"}},
        {"id": "f", "shape": "flow", "data": {"name": "Dangling"}, "source": {"cell": "a"}, "target": {"x": 1, "y": 2}}
    ]}]}});
    let model = import(&file, ForeignFormat::ThreatDragon).unwrap();
    assert!(model["flows"].as_array().unwrap().is_empty());
    assert!(mentions(&model, "assumptions", "Left out 1 flow(s)"));
    assert!(mentions(&model, "assumptions", "Dangling"));
}

#[test]
fn pytm_model_keeps_boundaries_flows_and_data() {
    let model = import(&fixture("pytm-input.json"), ForeignFormat::Pytm).unwrap();
    assert_eq!(model["name"], "my test tm");
    assert_eq!(
        ids(&model, "elements"),
        ["user", "web-server", "sql-database"]
    );
    assert_eq!(element(&model, "user")["boundary"], "internet");
    assert_eq!(element(&model, "sql-database")["boundary"], "server-db");
    assert!(element(&model, "web-server").get("boundary").is_none());
    assert_eq!(model["flows"].as_array().unwrap().len(), 4);
    // pytm's SECRET password is our most sensitive class, and the login flow carries it.
    assert_eq!(model["data_assets"][0]["classification"], "restricted");
    assert_eq!(flow(&model, "user", "web-server")["data"][0], "password");
}

fn flow_pairs(model: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = model["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_owned(),
                f["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn threat_dragon_v1_and_v2_of_the_same_demo_give_the_same_diagram() {
    let v1 = fixture("threat-dragon-v1-demo.json");
    assert_eq!(detect(&v1), Some(ForeignFormat::ThreatDragon));
    let v1 = import(&v1, ForeignFormat::ThreatDragon).unwrap();
    let v2 = import(
        &fixture("threat-dragon-v2-demo.json"),
        ForeignFormat::ThreatDragon,
    )
    .unwrap();
    let kinds = |model: &Value| {
        let mut kinds: Vec<String> = model["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{} {}", e["id"], e["kind"]))
            .collect();
        kinds.sort();
        kinds
    };
    assert_eq!(kinds(&v1), kinds(&v2));
    assert_eq!(flow_pairs(&v1), flow_pairs(&v2));
    assert_eq!(flow_pairs(&v1).len(), 10);
    // v1 names sit on the cell's text and the flow's label: none may be lost.
    assert!(!v1.to_string().contains("Unnamed element"));
    assert_eq!(flow(&v1, "browser", "web-application")["protocol"], "https");
    assert_eq!(v1["findings"], v2["findings"]);
}

#[test]
fn threat_dragon_loose_flow_end_joins_the_element_it_touches() {
    let file = serde_json::json!({"detail": {"diagrams": [{"cells": [
        {"id": "b", "shape": "actor", "data": {"name": "Browser"},
         "position": {"x": 10, "y": 30}, "size": {"width": 160, "height": 80}},
        {"id": "w", "shape": "process", "data": {"name": "Web App"},
         "position": {"x": 400, "y": 30}, "size": {"width": 100, "height": 100}},
        {"id": "f", "shape": "flow", "data": {"name": "Request"},
         "source": {"x": 180, "y": 70}, "target": {"cell": "w"}},
        {"id": "g", "shape": "flow", "data": {"name": "Stray"},
         "source": {"x": 300, "y": 300}, "target": {"cell": "w"}}
    ]}]}});
    let model = import(&file, ForeignFormat::ThreatDragon).unwrap();
    // 10 units off the browser's edge: joined. Far from everything: left out, and said.
    assert_eq!(
        flow_pairs(&model),
        [("browser".to_owned(), "web-app".to_owned())]
    );
    assert!(mentions(
        &model,
        "assumptions",
        "1 flow end(s) are not connected"
    ));
    assert!(mentions(&model, "assumptions", "Left out 1 flow(s)"));
    assert!(mentions(&model, "assumptions", "Stray"));
}

fn threagile(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/threagile/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let value: Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(detect(&value), Some(ForeignFormat::Threagile));
    import(&value, ForeignFormat::Threagile).unwrap()
}

#[test]
fn threagile_example_keeps_assets_links_and_nested_boundaries() {
    let model = threagile("example-threagile.yaml");
    assert_eq!(model["name"], "Some Example Application");
    assert_eq!(ids(&model, "elements").len(), 14);
    assert_eq!(model["flows"].as_array().unwrap().len(), 20);
    // Threagile's own ids are kept, so its risk ids and ours name the same assets.
    assert_eq!(element(&model, "sql-database")["kind"], "data_store");
    assert_eq!(element(&model, "sql-database")["boundary"], "erp-dmz");
    assert_eq!(
        element(&model, "customer-client")["kind"],
        "external_entity"
    );
    assert_eq!(
        element(&model, "customer-client")["properties"]["internet_facing"],
        true
    );
    // `internet: false` is only Threagile's default: it must not hide reachability.
    assert!(
        element(&model, "load-balancer")["properties"]
            .get("internet_facing")
            .is_none()
    );
    // The contract file server stores with `encryption: none`.
    assert_eq!(
        element(&model, "contract-file-server")["properties"]["encrypted_at_rest"],
        false
    );
    // Categories become tags only where one means the same; the rest become a question. Jenkins
    // also accepts `serialization`.
    assert_eq!(
        element(&model, "jenkins-build-server")["tags"],
        serde_json::json!(["ci-cd", "object-deserialization"])
    );
    // `erp` means no tag of ours; only its `serialization` format does.
    assert_eq!(
        element(&model, "erp-system")["tags"],
        serde_json::json!(["object-deserialization"])
    );
    assert!(mentions(&model, "questions", "Backoffice ERP System (erp)"));
    // Nesting: the DMZs sit inside the application network.
    let boundary = |id: &str| {
        model["boundaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(boundary("web-dmz")["parent"], "application-network");
    assert_eq!(boundary("application-network")["kind"], "cloud");
    assert!(boundary("dev-network").get("parent").is_none());
    // Links: protocol, authentication, and the data both ways.
    let traffic = flow(&model, "customer-client", "load-balancer");
    assert_eq!(traffic["protocol"], "https");
    assert_eq!(traffic["properties"]["authenticated"], true);
    assert!(
        traffic["data"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("customer-contracts"))
    );
    // Strictly confidential customer accounts are our most sensitive class.
    let accounts = model["data_assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "customer-accounts")
        .unwrap();
    assert_eq!(accounts["classification"], "restricted");
    // What is not carried over is said.
    assert!(mentions(
        &model,
        "assumptions",
        "risk tracking became 5 tracking entries"
    ));
    assert!(mentions(
        &model,
        "assumptions",
        "not carried over (no threatscribe rule means the same"
    ));
    assert!(mentions(
        &model,
        "assumptions",
        "WebApp and Backoffice Virtualization runs"
    ));
    assert!(mentions(&model, "assumptions", "jdbc, ldap, ldaps, ssh"));
    assert!(mentions(
        &model,
        "questions",
        "How are the admin clients managed"
    ));
}

#[test]
fn threagile_risk_tracking_becomes_tracking_on_the_rules_that_mean_the_same() {
    let model = threagile("example-threagile.yaml");
    let tracking = model["tracking"].as_array().unwrap();
    let entry = |threat: &str| {
        tracking
            .iter()
            .find(|t| t["threat"] == threat)
            .unwrap_or_else(|| panic!("no entry for {threat}: {tracking:?}"))
    };
    // The ERP system accepts `serialization`: our deserialization rule applies to it.
    let erp = model["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "erp-system")
        .unwrap();
    assert!(
        erp["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("object-deserialization"))
    );
    // untrusted-deserialization@erp-system: accepted, with who, ticket and date.
    let accepted = entry("WEB018@erp-system");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["justification"], "Risk accepted as tolerable");
    assert_eq!(accepted["owner"], "John Doe");
    assert_eq!(accepted["ticket"], "XYZ-1234");
    assert_eq!(accepted["date"], "2020-01-04");
    // A risk id with only wildcards covers the rule everywhere; one category may be two rules.
    assert_eq!(entry("DB002@*")["status"], "mitigated");
    assert_eq!(entry("CLOUD004@*")["status"], "mitigated");
    assert_eq!(entry("AUTH010@ldap-auth-server")["status"], "mitigated");
    // Categories without an equivalent rule are not invented.
    assert!(
        !tracking
            .iter()
            .any(|t| t["threat"].as_str().unwrap().contains("hardening"))
    );
    assert!(mentions(
        &model,
        "assumptions",
        "missing-hardening@* (mitigated)"
    ));
}

#[test]
fn threagile_stub_imports() {
    let model = threagile("stub-threagile.yaml");
    assert_eq!(
        ids(&model, "elements"),
        ["some-component", "some-other-component"]
    );
    assert_eq!(
        flow(&model, "some-component", "some-other-component")["properties"]["authenticated"],
        false
    );
    assert!(mentions(
        &model,
        "questions",
        "Some question without an answer?"
    ));
}

#[test]
fn otm_components_get_kinds_zones_and_two_way_flows() {
    let value = fixture("otm/example.otm.json");
    assert_eq!(detect(&value), Some(ForeignFormat::Otm));
    let model = import(&value, ForeignFormat::Otm).unwrap();
    assert_eq!(model["name"], "Test project");
    assert_eq!(element(&model, "web-client")["kind"], "external_entity");
    assert_eq!(element(&model, "web-client")["boundary"], "internet");
    assert_eq!(element(&model, "web-service")["kind"], "process");
    assert_eq!(element(&model, "customer-database")["kind"], "data_store");
    assert_eq!(element(&model, "customer-database")["boundary"], "private");
    // Both OTM flows are bidirectional: one flow each way, the card data on both.
    assert_eq!(
        flow_pairs(&model),
        [
            ("customer-database".to_owned(), "web-service".to_owned()),
            ("web-client".to_owned(), "web-service".to_owned()),
            ("web-service".to_owned(), "customer-database".to_owned()),
            ("web-service".to_owned(), "web-client".to_owned()),
        ]
    );
    assert_eq!(
        flow(&model, "customer-database", "web-service")["data"][0],
        "cc-data"
    );
    // Confidentiality 100 is our most sensitive class, 0 is public.
    let class = |id: &str| {
        model["data_assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()["classification"]
            .clone()
    };
    assert_eq!(class("cc-data"), "restricted");
    assert_eq!(class("public-info"), "public");
    assert!(mentions(
        &model,
        "assumptions",
        "Customer Database: data store (database)"
    ));
    // Its one threat is referenced by the web service and by the card-data flow, Spoofing first.
    let findings = model["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[1]["target"], "cc-store-in-db");
    assert_eq!(findings[0]["stride"], "spoofing");
    assert_eq!(findings[0]["target"], "web-service");
    // `exposed` wins over an implemented mitigation: the author says it is still open.
    assert_eq!(findings[0]["status"], "open");
}

#[test]
fn otm_from_the_microsoft_tool_keeps_its_components() {
    let model = import(&fixture("otm/mobile-cloud.otm.json"), ForeignFormat::Otm).unwrap();
    assert_eq!(
        element(&model, "accounting-postgresql")["kind"],
        "data_store"
    );
    assert_eq!(element(&model, "mobile-client")["kind"], "external_entity");
    assert_eq!(element(&model, "public-api-v2")["kind"], "process");
    assert_eq!(model["flows"].as_array().unwrap().len(), 6);
    // The Microsoft tool's 43 generated threats come along, on their components.
    let findings = model["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 43);
    let on_database = findings
        .iter()
        .filter(|f| f["target"] == "accounting-postgresql")
        .count();
    assert!(on_database > 0);
    assert!(findings.iter().all(|f| f["status"] == "open"));
}

#[test]
fn tmbom_keeps_zones_products_and_where_data_sits() {
    let value = fixture("tmbom/huskyai.tmbom.json");
    assert_eq!(detect(&value), Some(ForeignFormat::TmBom));
    let model = import(&value, ForeignFormat::TmBom).unwrap();
    assert_eq!(model["name"], "Husky AI");
    assert_eq!(ids(&model, "elements").len(), 17);
    assert_eq!(model["flows"].as_array().unwrap().len(), 23);
    assert_eq!(element(&model, "user")["kind"], "external_entity");
    assert_eq!(element(&model, "jupyter")["kind"], "process");
    assert_eq!(element(&model, "jupyter")["boundary"], "experimental-zone");
    // Vendor and product that name a catalog entry become the technology.
    assert_eq!(
        element(&model, "api-key-storage")["technologies"],
        serde_json::json!(["azure-key-vault"])
    );
    assert_eq!(
        element(&model, "training-images-blob")["technologies"],
        serde_json::json!(["azure-blob-storage"])
    );
    // The API key data set (cred) is restricted, and it travels on the flows of its store.
    let key = model["data_assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "api-keys")
        .expect("api-key data set");
    assert_eq!(key["classification"], "restricted");
    let into_store = model["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["to"] == "api-key-storage" || f["from"] == "api-key-storage")
        .collect::<Vec<_>>();
    assert!(!into_store.is_empty());
    assert!(into_store.iter().all(|f| {
        f["data"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("api-keys"))
    }));
    assert!(mentions(
        &model,
        "assumptions",
        "9 threats, 22 controls, 3 risks"
    ));
    assert!(mentions(
        &model,
        "assumptions",
        "validate tokens via Auth Service"
    ));
}

#[test]
fn cyclonedx_tm_bom_keeps_the_pytm_example() {
    let value = fixture("cyclonedx/tmbom-pytm-example.cdx.json");
    assert_eq!(detect(&value), Some(ForeignFormat::CycloneDx));
    let model = import(&value, ForeignFormat::CycloneDx).unwrap();
    assert_eq!(model["name"], "my test tm");
    assert_eq!(
        ids(&model, "elements"),
        ["user", "web-server", "sql-database", "cleandbevery6hours"]
    );
    assert_eq!(element(&model, "user")["kind"], "external_entity");
    assert_eq!(element(&model, "cleandbevery6hours")["kind"], "process");
    assert_eq!(element(&model, "sql-database")["boundary"], "web-db");
    assert_eq!(model["flows"].as_array().unwrap().len(), 5);
    assert_eq!(
        flow(&model, "web-server", "sql-database")["protocol"],
        "mysql-protocol"
    );
    assert!(mentions(&model, "assumptions", "left out: SQL"));
    assert!(mentions(&model, "assumptions", "SQL Database (*)"));
}

#[test]
fn cyclonedx_tm_bom_with_two_models_says_it_merged_them() {
    let model = import(
        &fixture("cyclonedx/tmbom-multi-example.cdx.json"),
        ForeignFormat::CycloneDx,
    )
    .unwrap();
    assert!(mentions(&model, "assumptions", "holds 2 threat models"));
    // The OTM half's bidirectional flow with card data comes both ways.
    let model = import(
        &fixture("cyclonedx/tmbom-otm-example.cdx.json"),
        ForeignFormat::CycloneDx,
    )
    .unwrap();
    assert_eq!(element(&model, "customer-database")["kind"], "data_store");
    assert_eq!(model["flows"].as_array().unwrap().len(), 4);
    assert!(mentions(
        &model,
        "assumptions",
        "Class CustomerDatabase (code)"
    ));
}
