use restrait::{api, get};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>/name")]
    async fn name(&self, id: u64) -> Option<String>;
}

fn main() {}
