"""The outputs layer: functions of a result record — the TMF622 ProductOrder, the TMF679 qualification, the
consequence report and the JSON form — and the official schemas they are checked against. Never decides anything."""
