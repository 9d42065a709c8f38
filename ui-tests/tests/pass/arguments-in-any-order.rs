// Arguments may come in any order: a query or header argument before a path argument is fine
// (Retrofit rejects "a @Path parameter must not come after a @Query"; restrait matches path
// arguments by name, not position).
use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Repos {
    #[get("/repos/<owner>/<repo>/issues")]
    async fn issues(
        &self,
        #[query] state: &str,
        repo: &str,
        #[header("X-Request-Id")] request_id: &str,
        owner: &str,
        #[query] page: Option<u32>,
    ) -> Result<String>;
}

fn main() {
    let params: Vec<&str> = ReposClient::OPERATIONS[0].params.iter().map(|p| p.name).collect();
    assert_eq!(params, ["state", "repo", "request_id", "owner", "page"]);
}
