use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[timeout("10s", attempt = "2s")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
