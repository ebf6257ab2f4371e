"""aioringcentral: an asyncio RingCentral client for live call state (no Home Assistant imports)."""
