use restrait::{api, get, Result};

#[api("https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
