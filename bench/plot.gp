# bench/plot.gp: draws latest.png from the data files report.py writes (run in bench/results/)
#   gnuplot -e "suffix=''" plot.gp
if (!exists("suffix")) suffix = ''
set terminal pngcairo size 1400,560 font "DejaVu Sans,10"
set output 'latest'.suffix.'.png'
set multiplot layout 1,2

set title "Boot time per configuration (guest clock, median; bar: min-max of kernel to init)"
set ylabel "seconds"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.7
set xtics rotate by -35 left nomirror
set bmargin 9
set key top left
set grid ytics
set yrange [0:*]
plot 'plot'.suffix.'-boots.dat' using 2:xtic(1) title "kernel until \"Run /init\"" lc rgb "#9bb7d4", \
     '' using 3 title "initramfs phase" lc rgb "#d9534f", \
     '' using ($0):4:5:6 with yerrorbars notitle lc rgb "black" pt 0

set title "Concurrent boots from one base image (mean per guest, median of rounds)"
set style data linespoints
set xlabel "guests at once (1 vCPU each)"
set ylabel "seconds, kernel to init"
set xtics 1 norotate
set bmargin 9
set key top left
set xrange [0.5:4.5]
plot 'plot'.suffix.'-conc.dat' using 1:2:3:4 with yerrorlines title "plain (sharedroot=off)" lw 2 lc rgb "#337ab7", \
     '' using 1:5:6:7 with yerrorlines title "instance + /etc,/var overlays" lw 2 lc rgb "#d9534f", \
     '-' using 1:2 with linespoints title "classic study: full copies" dt 2 lc rgb "#777777", \
     '-' using 1:2 with linespoints title "classic study: unionfs" dt 3 lc rgb "#aaaaaa"
1 7.0
2 9.7
3 12.2
4 14.2
e
1 9.0
2 10.0
3 14.7
4 17.5
e
unset multiplot
