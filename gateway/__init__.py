"""piigate's HTTP edge: app factory, the one request pipeline, codecs, CLI."""
