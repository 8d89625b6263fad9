"""Order-fulfilment workflow: the state machine (ASL), its steps, and their pure logic."""
