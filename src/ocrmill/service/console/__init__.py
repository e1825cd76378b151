"""What the web console needs beyond the two APIs: its views, option form and user administration."""
