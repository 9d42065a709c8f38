use restrait::{api, post, Result};

#[derive(serde::Serialize)]
struct NewUser {
    name: String,
}

#[derive(serde::Deserialize, garde::Validate)]
struct User {
    #[garde(length(min = 1))]
    name: String,
}

#[api(base = "https://api.example.com")]
#[validate]
trait Users {
    #[post("/users")]
    async fn create(&self, #[body] user: &NewUser) -> Result<User>;
}

fn main() {}
