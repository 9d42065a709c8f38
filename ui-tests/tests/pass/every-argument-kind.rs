// Every kind of argument: path placeholder, `<rest..>`, query (plain, renamed, flattened),
// per-call header (plain and optional), and each body encoding.
use restrait::{api, get, post, put, Result};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct File {
    pub size: u64,
}

#[derive(Serialize)]
pub struct Filter {
    pub state: &'static str,
    pub labels: Vec<String>,
}

#[derive(Serialize)]
pub struct Login<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

#[api(base = "https://files.example.com/v1")]
pub trait Files {
    #[get("/repos/<owner>/<repo>/contents/<path..>?ref=main")]
    async fn file(
        &self,
        owner: &str,
        repo: String,
        path: &str,
        #[query] page: Option<u32>,
        #[query("per_page")] per_page: u32,
        #[query] tags: &[&str],
        #[query(flatten)] filter: &Filter,
        #[header("X-Request-Id")] request_id: &str,
        #[header("If-None-Match")] etag: Option<&str>,
    ) -> Result<File>;

    #[post("/uploads/<name>")]
    async fn upload(&self, name: &str, #[body(raw)] data: bytes::Bytes) -> Result<()>;

    #[put("/uploads/<name>")]
    async fn upload_vec(
        &self,
        name: &str,
        #[body(raw)] data: Vec<u8>,
        #[header("Content-Type")] content_type: &str,
    ) -> Result<()>;

    #[post("/login")]
    async fn login(&self, #[body(form)] form: &Login<'_>) -> Result<String>;

    #[post("/items")]
    async fn create(&self, #[body] item: &Filter) -> Result<File>;

    #[get("/raw/<type>")]
    async fn raw_ident(&self, r#type: &str, #[query] r#ref: &str) -> Result<()>;
}

fn main() {}
