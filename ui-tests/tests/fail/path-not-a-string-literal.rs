use restrait::{api, get, Result};

const USERS: &str = "/users";

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get(USERS)]
    async fn users(&self) -> Result<()>;
}

fn main() {}
