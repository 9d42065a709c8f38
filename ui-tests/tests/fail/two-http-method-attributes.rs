use restrait::{api, get, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[post("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
