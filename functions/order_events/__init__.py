"""Consumer of OrderReceived/OrderUpdated: starts or cancels the fulfilment workflow."""
