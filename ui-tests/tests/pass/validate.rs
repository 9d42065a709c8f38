//! `#[validate]` on a trait, turned off on one method; validated responses, bodies, flattened
//! queries and paginated items; methods whose types carry no rules (`()`, `String`) are fine.
use restrait::{api, get, post, Paginated, Result};

#[derive(serde::Deserialize, serde::Serialize, garde::Validate)]
struct User {
    #[garde(length(min = 1))]
    name: String,
}

#[derive(serde::Serialize, garde::Validate)]
struct Filter {
    #[garde(range(max = 100))]
    limit: u32,
}

#[derive(serde::Deserialize)]
struct Unchecked {
    #[allow(dead_code)]
    anything: String,
}

#[api(base = "https://api.example.com")]
#[validate]
trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<User>;
    #[get("/users/<id>")]
    async fn user_response(&self, id: u64) -> Result<restrait::Response<User>>;
    #[post("/users")]
    async fn create(&self, #[body] user: &User) -> Result<()>;
    #[get("/users")]
    async fn search(&self, #[query(flatten)] filter: &Filter) -> Result<String>;
    #[get("/users")]
    #[paginate(page)]
    fn all(&self) -> Paginated<User>;
    #[get("/raw")]
    #[validate(off)]
    async fn raw(&self) -> Result<Unchecked>;
}

fn main() {}
