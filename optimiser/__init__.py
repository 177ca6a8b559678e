"""Everything that turns an Instance into a plan, in layers whose arrows run one way:
``geography`` → ``core`` → ``planning`` → ``report`` (see docs/architecture.md)."""
