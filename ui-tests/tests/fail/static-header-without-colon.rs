use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
#[header("Accept application/json")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
