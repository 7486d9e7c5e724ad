import TrellisTraining
print("trellis")
