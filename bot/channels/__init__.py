"""Channel adapters: console, Telegram, Zalo. Only these modules touch a platform."""
