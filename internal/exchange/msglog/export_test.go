package msglog

// WaitStopped waits until the writer and the sealer have stopped, after the
// context given to Start is cancelled.
func (l *Log) WaitStopped() {
	<-l.writerDone
	<-l.sealerDone
}
