"""The deductive half of the AlphaGo: Go rules, coordinates, SGF and network input features."""
