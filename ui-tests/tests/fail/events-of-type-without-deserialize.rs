use restrait::{api, get, Events, Result};

pub struct Tick {
    pub n: u64,
}

#[api(base = "https://api.example.com")]
pub trait Feed {
    #[get("/ticks")]
    async fn ticks(&self) -> Result<Events<Tick>>;
}

fn main() {}
