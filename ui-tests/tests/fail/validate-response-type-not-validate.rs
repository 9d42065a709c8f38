use restrait::{api, get, Result};

#[derive(serde::Deserialize)]
struct User {
    name: String,
}

#[api(base = "https://api.example.com")]
trait Users {
    #[get("/users/<id>")]
    #[validate]
    async fn user(&self, id: u64) -> Result<User>;
}

fn main() {}
