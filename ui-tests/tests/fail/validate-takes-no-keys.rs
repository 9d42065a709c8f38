use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
trait Users {
    #[get("/users")]
    #[validate(strict)]
    async fn users(&self) -> Result<String>;
}

fn main() {}
